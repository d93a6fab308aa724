from tui.modals.replace_modal import colored_diff


def test_added_removed_and_hunk_lines_get_their_colours():
    diff = "--- a (uploaded)\n+++ a (new)\n@@ -1 +1 @@\n-old\n+new\n same\n"
    text = colored_diff(diff)
    styles = {text.plain[span.start:span.end].strip(): str(span.style) for span in text.spans}
    assert styles["-old"] == "red" and styles["+new"] == "green"
    assert styles["@@ -1 +1 @@"] == "cyan" and styles["--- a (uploaded)"] == "bold"
    assert " same" in text.plain
