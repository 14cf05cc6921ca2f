"""The OpenAI Responses API (`POST /v1/responses`), served over the chat proxy.

A Responses request is translated into the internal form, an OpenAI chat completions request
(`request.py`), so it reaches every upstream type through the same adapters and is metered by
the same reserve/settle rules as chat. The chat answer comes back as a Response object
(`response.py`); a chat chunk stream as the Responses event stream (`events.py`, relayed by
`relay.py`). Stateless: nothing is stored, so `previous_response_id` and `store: true` are refused.
A model whose providers all serve `/responses` themselves gets the request passed through
instead (`passthrough.py`), under the same checks, hold and settlement.
"""
