#!/usr/bin/env bash
# What a caseworker sees (issue 16), looked at rather than assumed: batch writes the results of
# docs/zh-output/roster.csv (five Yongji households from examples/, without the note column)
# in Chinese, as .xlsx and as CSV; LibreOffice opens each headless and prints it to PDF, as
# Excel or WPS would show it; pdftotext checks the PDF; pdftoppm makes PNGs of its first page
# (the results sheet, printed on one page): docs/images/zh-output-xlsx.png (its left part: the
# input columns, ID numbers whole), docs/images/zh-output-xlsx-results.png (from the first
# result column on) and docs/images/zh-output-csv.png (the CSV's left part), shown in the README.
#
# Fails (exit 1) when the Chinese headers are missing from either PDF, or when the
# spreadsheet does not show a whole 18-character ID number. The CSV is opened as Excel opens
# one (UTF-8 by its BOM, every column "standard"): its ID numbers turn into numbers such as
# 1.42729197603181E+017 — the README says so and points to .xlsx — and the script reports
# whether they did, without failing on it.
#
# Not part of `npm test`. Needs: the build (npm run build), LibreOffice Calc (soffice),
# poppler-utils (pdftotext, pdftoppm) and a CJK font (fonts-noto-cjk) — Debian packages.
#
#   docs/zh-output.sh            # writes the two PNGs under docs/images/
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
roster="$here/zh-output/roster.csv"
images="$here/images"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

for tool in soffice pdftotext pdftoppm; do
  command -v "$tool" >/dev/null || { echo "zh-output: $tool is not installed (LibreOffice Calc, poppler-utils)" >&2; exit 2; }
done
[ -f "$root/dist/cli/main.js" ] || { echo "zh-output: build first (npm run build)" >&2; exit 2; }

# The rule set is named (-j), so that only Yongji's chain is compiled; the roster's rows all are Yongji's.
bencalc() { node "$root/bin/bencalc.js" --lang zh batch "$roster" -j 140881 --as-of 2025-08-01 --quiet "$@"; }
bencalc -o "$work/results-xlsx.xlsx"
bencalc -o "$work/results-csv.csv"

# A profile of its own, so that a running LibreOffice (or another run) is not disturbed.
# SinglePageSheets: each sheet on one page, the whole width of the results at once.
office() { soffice "-env:UserInstallation=file://$work/profile" --headless "$@" >/dev/null; }
export_pdf='pdf:calc_pdf_Export:{"SinglePageSheets":{"type":"boolean","value":"true"}}'
office --convert-to "$export_pdf" --outdir "$work" "$work/results-xlsx.xlsx"
# CSV import: comma, double quote, UTF-8 (76), from line 1 — what Excel does with a BOM.
office --infilter='CSV:44,34,76,1' --convert-to "$export_pdf" --outdir "$work" "$work/results-csv.csv"

# The first ID number of the roster: it must be seen whole (18 characters).
id=$(awk -F, 'NR == 2 { print $4 }' "$roster")
[ "${#id}" -eq 18 ] || { echo "zh-output: the roster's first ID number is not 18 characters: $id" >&2; exit 2; }

status=0
for kind in xlsx csv; do
  pdf="$work/results-$kind.pdf"
  text=$(pdftotext -layout "$pdf" -)
  for header in 低保_是否符合 低保_金额（元） 低保_原因 生活补贴_是否符合 护理补贴_是否符合; do
    if ! grep -qF "$header" <<<"$text"; then
      echo "zh-output: $kind: the header $header is not in the PDF" >&2
      status=1
    fi
  done
  if grep -qE '(^|[^0-9])是([^0-9]|$)' <<<"$text" && grep -qE '(^|[^0-9])否([^0-9]|$)' <<<"$text"; then :; else
    echo "zh-output: $kind: no 是/否 cells in the PDF" >&2
    status=1
  fi
  if grep -qF "$id" <<<"$text"; then
    echo "zh-output: $kind: the ID number $id is shown whole"
  elif [ "$kind" = xlsx ]; then
    echo "zh-output: xlsx: the ID number $id is not shown whole (IDs must be text cells)" >&2
    status=1
  else
    echo "zh-output: csv: the ID number $id is not shown whole — a spreadsheet turns long digit strings in a CSV into numbers (README: use .xlsx)"
  fi
  # The first page (the whole results sheet) at 100 dpi is too wide to read at once: its left
  # part, and for the workbook also the part from the first result column on (found by its
  # header's position in points, as pdftotext -bbox gives it).
  height=$(pdfinfo "$pdf" | awk '/^Page size/ { printf "%d", $5 * 100 / 72 + 1 }')
  pdftoppm -png -f 1 -l 1 -r 100 -x 0 -y 0 -W 1500 -H "$height" -singlefile "$pdf" "$images/zh-output-$kind"
  if [ "$kind" = xlsx ]; then
    at=$(pdftotext -bbox -f 1 -l 1 "$pdf" - | awk -F'"' '/>低保_是否符合</ && !seen { printf "%d", $2 * 100 / 72 - 4; seen = 1 }')
    pdftoppm -png -f 1 -l 1 -r 100 -x "${at:-0}" -y 0 -W 1800 -H "$height" -singlefile "$pdf" "$images/zh-output-xlsx-results"
  fi
done
[ "$status" -eq 0 ] && echo "zh-output: wrote $images/zh-output-xlsx.png, zh-output-xlsx-results.png and zh-output-csv.png"
exit "$status"
