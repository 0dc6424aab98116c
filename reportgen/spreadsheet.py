"""Text cells a spreadsheet would run as formulas (CSV injection): segments.csv puts a quote before
them, and the month-over-month comparison takes it off again when it reads last month's file. The
patterns are plain regular expressions that Python, pyarrow (RE2) and Spark (Java) all read alike."""

# Excel, LibreOffice and Google Sheets evaluate a cell that starts with one of these.
FORMULA = r"^[=+\-@\t\r]"
# The same cell after segments.csv neutralised it with a leading quote.
QUOTED_FORMULA = r"^'[=+\-@\t\r]"
