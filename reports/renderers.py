"""A report as CSV (``?format=csv``): its "rows" as a table, safe to open in a spreadsheet."""

import csv
import io

from rest_framework.renderers import BaseRenderer

from core.csv_cells import csv_cell


class CsvRenderer(BaseRenderer):
    """The view's ``csv_columns`` as the header, then a line per row of ``data["rows"]``.

    Every cell goes through csv_cell: a teammate's name or a provider's text that starts
    like a formula (``=HYPERLINK(...)``) is shown as text, never evaluated.
    """

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        columns = renderer_context["view"].csv_columns
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(columns)
        for row in data["rows"]:
            writer.writerow([csv_cell(row[column]) for column in columns])
        return out.getvalue().encode(self.charset)
