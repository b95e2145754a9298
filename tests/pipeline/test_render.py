"""The HTML-to-lines rendering the line classifier is trained and evaluated on."""

from __future__ import annotations

from broadsheet.pipeline.render import render_lines, strip_xml_declaration

XHTML = """<?xml version="1.0" encoding="iso-8859-1"?>
<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN"
  "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml" xml:lang="de" lang="de">
<head><title>Unfall am Pass</title><script>var x = 1;</script></head>
<body><nav><a href="/">Start</a> <a href="/touren">Touren</a></nav>
<h1>Unfall am Pass</h1><p>Ein Radfahrer ist am Sonntag <b>schwer</b> gestürzt.</p>
<div hidden>Versteckt</div><p>Die Straße blieb zwei Stunden gesperrt.</p></body></html>"""


def test_blocks_become_lines_in_document_order() -> None:
    lines = render_lines(XHTML)
    assert [line.text for line in lines] == [
        "Start Touren",
        "Unfall am Pass",
        "Ein Radfahrer ist am Sonntag schwer gestürzt.",
        "Die Straße blieb zwei Stunden gesperrt.",
    ]
    assert [line.tag for line in lines] == ["nav", "h1", "p", "p"]
    assert lines[1].source_line == 7


def test_an_xml_declaration_naming_an_encoding_does_not_empty_the_page() -> None:
    # lxml refuses a decoded str that still declares an encoding; before the declaration was
    # dropped, such pages (7 of trafilatura's 990 evaluation pages) rendered as no lines.
    assert render_lines(XHTML)
    assert strip_xml_declaration('\ufeff <?xml version="1.0"?>\n<html/>') == "\n<html/>"
    assert strip_xml_declaration("<html><?xml in the middle?></html>").startswith("<html>")


def test_nothing_to_render() -> None:
    assert render_lines("") == []
    assert render_lines('<?xml version="1.0" encoding="utf-8"?>   ') == []
    assert render_lines("<html><body><script>only code</script></body></html>") == []


def test_a_malformed_declaration_is_an_unparseable_page_not_a_crash() -> None:
    # Never closed, so it is not stripped, and lxml refuses the page: no lines, no exception
    # (ingest then quarantines the page with "no article text found in the HTML page").
    unclosed = '<?xml version="1.0" encoding="utf-8"\n<html><body><p>Text.</p></body></html>'
    assert render_lines(unclosed) == []
    assert render_lines("<?xml " + "a" * 3_000_000) == []
    assert strip_xml_declaration(unclosed) == unclosed
