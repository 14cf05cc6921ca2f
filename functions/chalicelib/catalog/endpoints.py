"""Where a provider's calls go: a checked base URL, or a Bedrock region (and profile, role).

openai and anthropic providers have an http(s) base URL (the SSRF guard checks it here and
on every connection). A bedrock provider has none to give: its calls go to the Bedrock
endpoint of its region, signed by the deployment's IAM role; the URL it shows is that one.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from ..kernel.errors import BadRequest
from ..upstreams.address_policy import forbidden_host
from ..upstreams.types import BedrockSettings


def validate_base_url(url: str, *, allow_private: bool) -> str:
    """A clean http(s) base URL; a literal non-public address in it is refused (SSRF guard: no
    request is ever sent to it). Host names are checked on every connection instead."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadRequest("base_url must be an http(s) URL with a host, e.g. https://api.openai.com/v1.",
                         code="invalid_base_url", param="base_url")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise BadRequest("base_url must not carry credentials, a query or a fragment; put the key in api_key.",
                         code="invalid_base_url", param="base_url")
    host = forbidden_host(url.strip(), allow_private=allow_private)
    if host is not None:
        raise BadRequest(f"base_url must reach a public address; {host} is private, loopback, link-local or "
                         "reserved.", code="forbidden_base_url", param="base_url")
    return url.strip().rstrip("/")


def bedrock_runtime_url(settings: BedrockSettings) -> str:
    return f"https://bedrock-runtime.{settings.region}.amazonaws.com"


def provider_endpoint(type_: str, base_url: str | None, bedrock: BedrockSettings | None, *,
                      allow_private: bool) -> tuple[str, BedrockSettings | None]:
    """(the base URL to keep, the Bedrock settings) of a provider of type `type_`."""
    if type_ == "bedrock":
        if bedrock is None:
            raise BadRequest("A bedrock provider needs `bedrock: {region, inference_profile?, role_arn?}`.",
                             code="bedrock_settings_required", param="bedrock")
        if base_url:
            raise BadRequest("A bedrock provider takes no base_url: its calls go to the Bedrock endpoint of its "
                             "region.", code="invalid_base_url", param="base_url")
        return bedrock_runtime_url(bedrock), bedrock
    if bedrock is not None:
        raise BadRequest("Only bedrock providers take `bedrock` settings.", code="invalid_provider_settings",
                         param="bedrock")
    if not base_url:
        raise BadRequest("base_url is required for this provider type.", code="invalid_base_url", param="base_url")
    return validate_base_url(base_url, allow_private=allow_private), None


def check_responses_api(type_: str, responses_api: bool) -> None:
    """Only an OpenAI-compatible provider can serve the Responses API itself."""
    if responses_api and type_ != "openai":
        raise BadRequest("responses_api is a setting of openai providers only (they serve /responses themselves).",
                         code="invalid_provider_settings", param="responses_api")
