"""The /v1 proxy: the streaming ASGI app, its relay, and the rules of what a request is charged."""
