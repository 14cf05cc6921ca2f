"""Static checks over the portal's sources: translations complete, no HTML built from strings."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "portal" / "src"
SOURCES = sorted(p for p in SRC.rglob("*") if p.suffix in {".js", ".html"})


def load_table(name: str) -> dict[str, str]:
    """The i18n table as node sees it (the module is real JavaScript, not JSON)."""
    if shutil.which("node") is None:
        pytest.skip("node is needed to read the i18n modules")
    script = "import(process.argv[1]).then(m => process.stdout.write(JSON.stringify(m.default)))"
    out = subprocess.run(["node", "-e", script, str(SRC / "i18n" / name)],  # noqa: S603, S607 - fixed argv, no shell
                         check=True, capture_output=True, text=True, timeout=30)
    return json.loads(out.stdout)


def test_english_and_chinese_tables_have_the_same_keys() -> None:
    en, zh = load_table("en.js"), load_table("zh-CN.js")
    assert sorted(set(en) - set(zh)) == []
    assert sorted(set(zh) - set(en)) == []


def placeholders(text: str) -> set[str]:
    return set(re.findall(r"\{\w+\}", text))


def test_every_translation_keeps_the_placeholders_of_the_english_string() -> None:
    en, zh = load_table("en.js"), load_table("zh-CN.js")
    mismatched = {k: (en[k], zh[k]) for k in en if placeholders(en[k]) != placeholders(zh[k])}
    assert mismatched == {}


def test_every_key_the_code_asks_for_exists() -> None:
    en = load_table("en.js")
    used: set[str] = set()
    for path in SOURCES:
        used.update(re.findall(r"""\bt\(\s*["']([a-z0-9_.]+)["']""", path.read_text(encoding="utf-8")))
    assert used, "no t('...') calls found: the pattern is wrong"
    assert sorted(used - set(en)) == []


# Anything that parses a string as HTML. The portal builds every element with dom.h() and sets
# text with textContent, so none of these may appear at all, with data or without.
HTML_SINKS = re.compile(r"\.(innerHTML|outerHTML)\s*[+]?=|insertAdjacentHTML|document\.write"
                        r"|createContextualFragment|DOMParser")


def test_no_source_file_turns_strings_into_html() -> None:
    offenders = [
        f"{path.relative_to(SRC)}:{n}: {line.strip()}"
        for path in SOURCES
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if HTML_SINKS.search(line)
    ]
    assert offenders == []


def test_the_html_sink_check_catches_an_assignment() -> None:
    assert HTML_SINKS.search('el.innerHTML = row.name;')
    assert HTML_SINKS.search("box.insertAdjacentHTML('beforeend', x)")
    assert not HTML_SINKS.search("el.textContent = row.name;")


def test_the_page_has_no_inline_script_or_style_and_a_content_security_policy() -> None:
    html = (SRC / "index.html").read_text(encoding="utf-8")
    assert 'http-equiv="Content-Security-Policy"' in html
    policy = re.search(r'Content-Security-Policy" content="([^"]+)"', html).group(1)
    assert "script-src 'self'" in policy and "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy
    assert re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html) is None, "inline <script>"
    assert "<style" not in html and " style=" not in html
    for path in SOURCES:
        text = path.read_text(encoding="utf-8")
        assert "setAttribute(\"style\"" not in text and "setAttribute('style'" not in text, path
        assert "eval(" not in text and "new Function(" not in text, path


def run_module(source: str) -> str:
    """Runs an ES module snippet with node from portal/src/js and returns its stdout."""
    if shutil.which("node") is None:
        pytest.skip("node is needed")
    out = subprocess.run(["node", "--input-type=module", "-e", source], cwd=SRC / "js",  # noqa: S603, S607 - a test's snippet, no shell
                         check=True, capture_output=True, text=True, timeout=30)
    return out.stdout


def test_money_is_formatted_from_the_decimal_string_never_through_a_float() -> None:
    cases = ["12.500000", "0.000123", "-0.000420", "1234567.100000", "0.000000", "-0", "5",
             "9007199254740993.000001", "+3.1"]
    script = ("import { money } from './format.js';\n"
              f"for (const v of {json.dumps(cases)}) console.log(money(v, {{ sign: true }}));")
    assert run_module(script).splitlines() == [
        "+$12.50", "+$0.000123", "−$0.00042", "+$1,234,567.10", "$0.00", "$0.00", "+$5.00",
        "+$9,007,199,254,740,993.000001", "+$3.10",
    ]


def test_only_endpoints_js_and_the_http_helper_spell_api_paths() -> None:
    # Pages call endpoints.js (one documented function per route); api.js itself needs the
    # refresh and logout paths. A path written anywhere else escapes that one list.
    allowed = {SRC / "js" / "endpoints.js", SRC / "js" / "api.js"}
    spelled = [f"{p.relative_to(SRC)}:{n}" for p in SOURCES if p.suffix == ".js" and p not in allowed
               for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
               if re.search(r"""["'`]/api/""", line)]
    assert spelled == []
