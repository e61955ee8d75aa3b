"""Small curated data shared by the gazetteer and resolver tests."""

ACTORS = """\
- {names: [Mohamed Bazoum, Bazoum], country: NE, kind: head_of_state, from: 2021, to: 2023}
- {names: [CNSP], country: ML, kind: junta, from: 2020, to: 2021}
- {names: [CNSP], country: NE, kind: junta, from: 2023}
- {names: [JNIM], countries: [ML, BF, NE], kind: armed_group, from: 2017}
"""
