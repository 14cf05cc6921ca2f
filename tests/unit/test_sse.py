from __future__ import annotations

import json

from chalicelib.upstreams.sse import parse_events, parse_text, render_chunk, render_error, render_stream


def test_events_are_split_on_blank_lines_with_names_and_multiline_data():
    events = parse_text("event: message_start\ndata: {\"a\":\ndata: 1}\n\n: keep-alive comment\ndata: [DONE]\n\n")
    assert [(e.event, e.data) for e in events] == [("message_start", '{"a":\n1}'), ("message", "[DONE]")]
    assert events[0].json() == {"a": 1}


def test_crlf_lines_and_a_missing_space_after_the_colon_are_accepted():
    events = list(parse_events([b"event:ping\r\n", b"data:{}\r\n", b"\r\n"]))
    assert [(e.event, e.data) for e in events] == [("ping", "{}")]


def test_a_last_event_without_its_blank_line_is_still_delivered():
    assert [e.data for e in parse_text("data: 1\n\ndata: 2")] == ["1", "2"]


def test_lines_are_split_on_newline_only_so_json_with_u2028_survives():
    text = json.dumps({"t": "a\u2028b"}, ensure_ascii=False)
    body = f"data: {text}\n\n".encode()
    (event,) = list(parse_events([body[:5], body[5:9], body[9:]]))  # chunk borders anywhere
    assert event.json() == {"t": "a\u2028b"}


def test_rendered_stream_is_one_data_event_per_chunk_then_done():
    body = render_stream([{"a": 1}, {"b": "é"}])
    assert body == 'data: {"a":1}\n\ndata: {"b":"é"}\n\ndata: [DONE]\n\n'
    assert [e.data for e in parse_text(body)] == ['{"a":1}', '{"b":"é"}', "[DONE]"]


def test_render_without_done_and_error_events():
    assert render_stream([{"a": 1}], done=False) == render_chunk({"a": 1})
    err = parse_text(render_error("upstream broke", code="upstream_error"))[0].json()
    assert err == {"error": {"message": "upstream broke", "type": "api_error", "code": "upstream_error", "param": None}}
