"""Reads an XLSX file with openpyxl (a real reader, not the writer's own
code) and prints its first sheet as JSON: the sheet's name, and per row the
cells as {"t": python type name, "v": value}; dates and times in ISO form;
plus the number formats of the second row's cells.
Usage: read_xlsx.py FILE"""
import datetime
import json
import sys

import openpyxl

wb = openpyxl.load_workbook(sys.argv[1])
ws = wb.worksheets[0]


def cell(v):
    if isinstance(v, (datetime.datetime, datetime.date)):
        return {"t": type(v).__name__, "v": v.isoformat()}
    return {"t": type(v).__name__, "v": v}


rows = [[cell(v) for v in row] for row in ws.iter_rows(values_only=True)]
formats = [c.number_format for c in ws[2]] if ws.max_row >= 2 else []
print(json.dumps({"sheet": ws.title, "freeze": ws.freeze_panes, "rows": rows, "formats": formats}))
