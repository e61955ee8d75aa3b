"""The Slack notifier: the real slack-sdk client against a Slack-like server on loopback."""

from __future__ import annotations

import json
import logging
import re
import socket
from collections.abc import Iterator
from typing import Any

import pytest

from tests.notifying import (
    CHANNEL,
    TOKEN,
    header,
    make_message,
    mrkdwn_texts,
    notifier_for,
)
from tests.slackserver import SlackServer
from warning.errors import DeliveryError
from warning.notify.slack import (
    HEADER_MAX,
    SECTION_MAX,
    TEXT_MAX,
    SlackNotifier,
    clip,
    escape,
    link,
)
from warning.records import Headline

HOSTILE = (
    "<!channel> <!here> <!everyone> <@U123> <#C999|general> <https://x|label> "
    "AT&T 1 < 2 > 0 @here @channel"
)


@pytest.fixture
def slack() -> Iterator[SlackServer]:
    with SlackServer(token=TOKEN) as server:
        yield server


@pytest.fixture
def notifier(slack: SlackServer) -> SlackNotifier:
    return notifier_for(slack.base_url)


def strings(value: Any) -> Iterator[str]:
    """Every string inside a decoded JSON body."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def assert_within_limits(blocks: list[dict[str, Any]], text: str | None) -> None:
    assert len(blocks) <= 50
    assert text and len(text) <= TEXT_MAX
    assert 0 < len(header(blocks)) <= HEADER_MAX
    for block in blocks:
        assert block["type"] in ("header", "section", "context", "actions")
        if block["type"] == "section":
            assert 0 < len(block["text"]["text"]) <= SECTION_MAX
        if block["type"] == "context":
            assert 0 < len(block["elements"]) <= 10
            assert all(0 < len(e["text"]) <= SECTION_MAX for e in block["elements"])
    for escaped in [*mrkdwn_texts(blocks), text]:
        # Every & starts a whole entity: nothing was cut in half.
        assert re.fullmatch(r"(?:[^&]|&(?:amp|lt|gt);)*", escaped, re.S), escaped[-20:]


# --- first message ------------------------------------------------------------------


def test_first_message_goes_to_the_default_channel(
    slack: SlackServer, notifier: SlackNotifier
) -> None:
    ref = notifier.send(make_message(), None, None)

    [post] = slack.calls("chat.postMessage")
    assert post.content_type.startswith("application/json")
    assert post.headers["Authorization"] == f"Bearer {TOKEN}"
    assert post.body["channel"] == CHANNEL
    assert post.body["unfurl_links"] is False
    assert post.body["unfurl_media"] is False
    assert post.body["parse"] == "none"
    assert "thread_ts" not in post.body

    [message] = slack.posted()
    assert ref == f"{slack.channel_id(CHANNEL)}:{message.ts}" == f"C0123:{message.ts}"
    assert message.thread_ts is None
    assert message.text is not None and message.blocks is not None
    assert message.text.startswith("NEW · Coup or coup attempt · Niger (NE)")
    assert_within_limits(message.blocks, message.text)
    assert header(message.blocks) == "NEW · Coup or coup attempt · Niger (NE)"
    status, evidence = mrkdwn_texts(message.blocks)[:2]
    assert "unconfirmed — 1 outlet" in status
    assert evidence.endswith(
        "<https://www.rfi.fr/fr/afrique/20230726-niger|Des soldats encerclent le palais"
        " présidentiel à Niamey> — rfi"
    )
    context = " ".join(mrkdwn_texts(message.blocks)[2:])
    assert "soldats, palais présidentiel" in context
    assert "clf-2024.1" in context and "alert 42" in context


def test_a_route_override_picks_the_channel(slack: SlackServer, notifier: SlackNotifier) -> None:
    ref = notifier.send(make_message(), "#other-desk", None)

    [post] = slack.calls("chat.postMessage")
    assert post.body["channel"] == "#other-desk"
    channel, _, ts = ref.partition(":")
    assert channel == slack.channel_id("#other-desk") != slack.channel_id(CHANNEL)
    assert ts == slack.posted()[0].ts


# --- threads ------------------------------------------------------------------------


def test_escalation_replies_in_the_thread_and_updates_the_parent(
    slack: SlackServer, notifier: SlackNotifier
) -> None:
    ref = notifier.send(make_message(), "#other-desk", None)
    escalated = make_message(
        key="alert-42-escalated", decision="escalated", outlets=("rfi", "bbc", "reuters")
    )

    assert notifier.send(escalated, "#other-desk", ref) == ref

    channel, _, ts = ref.partition(":")
    parent, reply = slack.posted()
    [update] = slack.updates()
    assert (update.channel, update.ts) == (channel, ts) == (parent.channel, parent.ts)
    assert update.blocks is not None and update.text is not None
    assert header(update.blocks).startswith("ESCALATED")
    assert "corroborated — 3 outlets" in mrkdwn_texts(update.blocks)[0]
    assert update.args["parse"] == "none"  # chat.update would default to "client"
    assert_within_limits(update.blocks, update.text)

    assert (reply.channel, reply.thread_ts) == (channel, ts)
    assert reply.args["reply_broadcast"] is False
    assert reply.args["channel"] == channel  # the ID from the reference, not the name
    assert reply.text is not None and reply.text.startswith("ESCALATED")


def test_a_failed_parent_update_sends_nothing_so_a_retry_cannot_duplicate(
    slack: SlackServer, notifier: SlackNotifier
) -> None:
    ref = notifier.send(make_message(), None, None)
    slack.fail(500, method="chat.update")
    escalated = make_message(decision="escalated")

    with pytest.raises(DeliveryError) as failed:
        notifier.send(escalated, None, ref)
    assert failed.value.retryable
    assert len(slack.posted()) == 1  # the reply waits for the retry

    assert notifier.send(escalated, None, ref) == ref  # the outbox's retry
    assert len(slack.posted()) == 2
    assert len(slack.updates()) == 1


def test_a_failed_reply_is_retried_whole_and_lands_once(
    slack: SlackServer, notifier: SlackNotifier
) -> None:
    ref = notifier.send(make_message(), None, None)
    slack.fail(503, method="chat.postMessage")
    escalated = make_message(decision="escalated")

    with pytest.raises(DeliveryError) as failed:
        notifier.send(escalated, None, ref)
    assert failed.value.retryable
    notifier.send(escalated, None, ref)

    assert [m.thread_ts for m in slack.posted()] == [None, ref.partition(":")[2]]
    assert len(slack.updates()) == 2  # repeating an update changes nothing


def test_a_parent_that_cannot_be_updated_still_gets_the_reply(
    slack: SlackServer, notifier: SlackNotifier, caplog: pytest.LogCaptureFixture
) -> None:
    ref = notifier.send(make_message(), None, None)
    slack.error("cant_update_message", method="chat.update")

    with caplog.at_level(logging.WARNING, logger="warning.notify.slack"):
        assert notifier.send(make_message(decision="resolved"), None, ref) == ref

    assert len(slack.posted()) == 2
    assert "cant_update_message" in caplog.text


def test_a_corrupt_thread_reference_is_not_retried(notifier: SlackNotifier) -> None:
    with pytest.raises(DeliveryError) as failed:
        notifier.send(make_message(), None, "no-colon-here")
    assert not failed.value.retryable


# --- untrusted text -----------------------------------------------------------------


def test_hostile_feed_text_reaches_slack_as_literal_text(
    slack: SlackServer, notifier: SlackNotifier
) -> None:
    hostile = make_message(
        headlines=(
            Headline(HOSTILE, "https://example.org/a?b=1&c=<!channel>", "<!here> news"),
            Headline("link breaker", "https://example.org/x|<!channel>>y", "<@U123>"),
            Headline("script", "javascript:alert(1)//<!channel>", "outlet"),
            Headline("no link", "slack://channel?id=C1", "outlet"),
            Headline("multi\n> quoted\n<!channel>", None, "outlet"),
        ),
        terms=("<!channel>", "<@U123>", "a&b", "<https://x|label>"),
        outlets=("<!here> news", "<@U123>"),
    )
    ref = notifier.send(make_message(), None, None)
    notifier.send(hostile, None, ref)  # an update and a reply
    notifier.send(hostile, "#other-desk", None)

    for request in slack.requests:
        for value in strings(request.body):
            assert "<!" not in value and "<@" not in value and "<#" not in value, value
    _, update_body, reply_body, first_body = (r.body for r in slack.requests)
    for body in (update_body, reply_body, first_body):
        evidence = body["blocks"][2]["text"]
        assert body["blocks"][2]["text"]["verbatim"] is True
        evidence = evidence["text"]
        assert "&lt;!channel&gt; &lt;!here&gt;" in evidence
        assert "&lt;@U123&gt;" in evidence
        assert "&lt;https://x|label&gt; AT&amp;T 1 &lt; 2 &gt; 0 @here" in evidence
        # Our own links are the only markup: http(s) URL, then |, then the label.
        links = re.findall(r"<([^>]*)>", evidence)
        assert links == [
            "https://example.org/a?b=1&amp;c=%3C!channel%3E|" + escape(HOSTILE),
            "https://example.org/x%7C%3C!channel%3E%3Ey|link breaker",
        ]
        assert "script — outlet" in evidence and "javascript" not in evidence
        assert "no link — outlet" in evidence and "slack://" not in evidence
        assert "multi &gt; quoted &lt;!channel&gt; — outlet" in evidence  # one line
        context = body["blocks"][3]["elements"][0]["text"]
        assert context == "Terms: &lt;!channel&gt;, &lt;@U123&gt;, a&amp;b, &lt;https://x|label&gt;"
        assert "&lt;!channel&gt; &lt;!here&gt;" in body["text"]
        assert body["link_names"] is False and body["parse"] == "none"
        assert_within_limits(body["blocks"], body["text"])
    # The raw JSON on the wire says the same (no \u003c tricks in between).
    for request in slack.requests[1:]:
        assert "<!" not in json.loads(request.raw)["text"]


def test_link_and_escape_helpers() -> None:
    assert escape("<!channel> & <@U1>") == "&lt;!channel&gt; &amp; &lt;@U1&gt;"
    assert link("https://a.example/é x", "t|<b>") == "<https://a.example/%C3%A9%20x|t|&lt;b&gt;>"
    assert link("ftp://a.example/", "t") == "t"
    assert link("https:///nohost", "t") == "t"
    assert link(None, "") == "(untitled)"
    assert link("https://a.example/" + "a" * 2000, "t") == "t"  # too long to be a link


@pytest.mark.parametrize("cut", range(1, 12))
def test_clip_never_splits_an_entity(cut: int) -> None:
    text = escape("ab&<>&" * 3)
    clipped = clip(text, cut + 1)
    assert len(clipped) <= cut + 1
    assert clipped.endswith("…")
    assert re.fullmatch(r"(?:[^&]|&(?:amp|lt|gt);)*…", clipped)


def test_long_and_many_headlines_stay_within_slack_limits(
    slack: SlackServer, notifier: SlackNotifier
) -> None:
    long_url = "https://example.org/" + "&a=<b>" * 150
    many = tuple(
        Headline(f"{i} " + "&<>" * 400, long_url if i % 2 else None, "outlet &" * 50)
        for i in range(80)
    )
    message = make_message(
        headlines=many,
        terms=tuple("term&<>" * 50 for _ in range(40)),
        place="Somewhere with a very long name " * 10,
        model="m&" * 300,
        outlets=tuple(f"o{i}" for i in range(80)),
    )
    ref = notifier.send(message, None, None)
    notifier.send(make_message(decision="escalated", headlines=many), None, ref)

    for sent in [*slack.posted(), *slack.updates()]:
        assert sent.blocks is not None
        assert_within_limits(sent.blocks, sent.text)
    first = slack.posted()[0]
    assert first.blocks is not None
    assert header(first.blocks).endswith("…")
    evidence = first.blocks[2]["text"]["text"]
    shown = evidence.count("\n• ") + evidence.startswith("• ")
    assert 1 <= shown <= 10
    assert evidence.endswith(f"_and {80 - shown} more_")


# --- failures -----------------------------------------------------------------------


def test_rate_limit_is_retryable_after_the_servers_wait(
    slack: SlackServer, notifier: SlackNotifier
) -> None:
    slack.fail(429, headers={"Retry-After": "7"})

    with pytest.raises(DeliveryError) as failed:
        notifier.send(make_message(), None, None)

    assert failed.value.retryable
    assert failed.value.retry_after == 7.0
    assert "ratelimited" in str(failed.value) and CHANNEL in str(failed.value)
    assert len(slack.requests) == 1  # the client itself never retries


def test_ratelimited_body_without_429_is_retryable(
    slack: SlackServer, notifier: SlackNotifier
) -> None:
    slack.error("ratelimited")
    with pytest.raises(DeliveryError) as failed:
        notifier.send(make_message(), None, None)
    assert failed.value.retryable and failed.value.retry_after is None


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_are_retryable(
    slack: SlackServer, notifier: SlackNotifier, status: int
) -> None:
    slack.fail(status)
    with pytest.raises(DeliveryError) as failed:
        notifier.send(make_message(), None, None)
    assert failed.value.retryable
    assert f"HTTP {status}" in str(failed.value) and CHANNEL in str(failed.value)
    assert len(slack.requests) == 1


@pytest.mark.parametrize(
    ("code", "hint"),
    [
        ("channel_not_found", "invite the bot"),
        ("not_in_channel", "invite the bot"),
        ("is_archived", "unarchive"),
        ("invalid_auth", "notify.slack.token"),
        ("account_inactive", "reinstall"),
        ("token_revoked", "reinstall"),
        ("msg_too_long", "bug"),
        ("invalid_blocks", "bug"),
        ("some_new_error", "Slack's documentation"),
    ],
)
def test_slack_errors_are_final_with_a_hint(
    slack: SlackServer, notifier: SlackNotifier, code: str, hint: str
) -> None:
    slack.error(code)
    with pytest.raises(DeliveryError) as failed:
        notifier.send(make_message(), None, None)
    assert not failed.value.retryable
    assert code in failed.value.message and CHANNEL in failed.value.message
    assert failed.value.hint is not None and hint in failed.value.hint


def test_a_wrong_token_is_final_and_never_shown(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with SlackServer(token="xoxb-the-right-one") as server:
        with caplog.at_level(logging.DEBUG), pytest.raises(DeliveryError) as failed:
            notifier_for(server.base_url).send(make_message(), None, None)
        assert server.requests[0].headers["Authorization"] == f"Bearer {TOKEN}"
    assert not failed.value.retryable
    assert "invalid_auth" in str(failed.value)
    assert TOKEN not in str(failed.value) and TOKEN not in caplog.text


def test_a_closed_port_is_retryable() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(DeliveryError) as failed:
        notifier_for(f"http://127.0.0.1:{port}/api/").send(make_message(), None, None)
    assert failed.value.retryable
    assert "127.0.0.1" in str(failed.value) and CHANNEL in str(failed.value)


def test_a_dropped_connection_is_retryable(slack: SlackServer, notifier: SlackNotifier) -> None:
    slack.drop()
    with pytest.raises(DeliveryError) as failed:
        notifier.send(make_message(), None, None)
    assert failed.value.retryable


def test_a_timeout_is_retryable(slack: SlackServer) -> None:
    slack.delay(3)
    with pytest.raises(DeliveryError) as failed:
        notifier_for(slack.base_url, timeout=1).send(make_message(), None, None)
    assert failed.value.retryable
    # Slack may well have posted it: at-least-once is the price of not losing alerts.
    assert len(slack.posted()) == 1


def test_a_scripted_outage_ends_in_exactly_one_message(
    slack: SlackServer, notifier: SlackNotifier
) -> None:
    slack.fail(500, times=5)
    slack.fail(429, headers={"Retry-After": "1"})
    errors: list[DeliveryError] = []
    for _ in range(10):  # what the outbox does, without the waiting
        try:
            ref = notifier.send(make_message(), None, None)
            break
        except DeliveryError as exc:
            assert exc.retryable
            errors.append(exc)
    assert [e.retry_after for e in errors] == [None] * 5 + [1.0]
    assert len(slack.requests) == 7
    [message] = slack.posted()
    assert ref.endswith(message.ts)
