"""`bulk_rows.append_rows`: rows appended in one go read and draw exactly as `add_row` ones, and
appending below a full view renders none of the cells already on screen (the stall behind the
runner pane's key latency while results stream, #11)."""

from __future__ import annotations

from rich.text import Text
from textual.app import App, ComposeResult
from textual.widgets import DataTable

from tui.widgets.bulk_rows import append_rows
from tui.widgets.column_fit import FixedColumnsTable


def _rows(start: int, count: int) -> list[tuple[list[Text], str]]:
    return [([Text(f"example {i}"), Text("ok"), Text(f"{i % 10 / 10:.2f}")], f"ex-{i}")
            for i in range(start, start + count)]


class TwoTables(App[None]):
    def compose(self) -> ComposeResult:
        for name in ("one-by-one", "bulk"):
            table = FixedColumnsTable(id=name, cursor_type="cell")
            yield table

    def on_mount(self) -> None:
        for table in self.query(FixedColumnsTable):
            table.styles.height = 12
            for label, width in (("example", 14), ("target", 6), ("score", 6)):
                table.add_column(label, key=label, width=width)


def _lines(table: DataTable) -> list[str]:
    return ["".join(segment.text for segment in table.render_line(y)) for y in range(table.size.height)]


async def test_appended_rows_read_and_draw_as_added_ones():
    app = TwoTables()
    async with app.run_test(size=(60, 30)) as pilot:
        one, bulk = app.query_one("#one-by-one", DataTable), app.query_one("#bulk", DataTable)
        for start, count in ((0, 1), (1, 4), (5, 30)):  # empty table, a part of the view, below it
            for cells, key in _rows(start, count):
                one.add_row(*cells, key=key)
            append_rows(bulk, _rows(start, count))
            await pilot.pause()
            assert bulk.row_count == one.row_count == start + count
            assert _lines(bulk) == _lines(one)
            assert bulk.virtual_size == one.virtual_size
        assert [str(bulk.get_row_at(i)[0]) for i in (0, 17, 34)] == ["example 0", "example 17", "example 34"]
        for table in (one, bulk):
            table.scroll_end(animate=False)
            table.move_cursor(row=33, column=2)
        await pilot.pause()
        assert _lines(bulk) == _lines(one)
        assert bulk.cursor_coordinate == one.cursor_coordinate and str(bulk.get_cell("ex-33", "score")) == "0.30"


async def test_a_key_that_exists_is_refused():
    app = TwoTables()
    async with app.run_test(size=(60, 30)):
        bulk = app.query_one("#bulk", DataTable)
        append_rows(bulk, _rows(0, 3))
        try:
            append_rows(bulk, _rows(2, 1))
        except ValueError as exc:
            assert "ex-2" in str(exc)
        else:
            raise AssertionError("a duplicate key was accepted")


async def test_appending_below_a_full_view_renders_no_cell_again():
    app = TwoTables()
    async with app.run_test(size=(60, 30)) as pilot:
        bulk = app.query_one("#bulk", DataTable)
        append_rows(bulk, _rows(0, 1))
        append_rows(bulk, _rows(1, 40))
        await pilot.pause()
        before = _lines(bulk)
        rendered: list[tuple] = []
        original = bulk._render_cell

        def counting(*args, **kwargs):
            rendered.append(args[:2])
            return original(*args, **kwargs)

        bulk._render_cell = counting
        append_rows(bulk, _rows(41, 500))
        await pilot.pause()
        assert _lines(bulk) == before  # the view shows the same rows, scrollbar aside
        assert rendered == []
        assert bulk.row_count == 541 and bulk.virtual_size.height == 542  # rows + header
