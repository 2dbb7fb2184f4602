"""Write the corpus of bad (and awkward but good) inputs, one file per class of issue 11.

Run ``python tests/data/bad_inputs/make_corpus.py`` from the repository root; the output is
deterministic (a fixed-seed generator, no clock), so re-running it changes nothing, and
``tests/simulation/inputs/test_corpus.py`` checks that. Each entry of :data:`CORPUS` says what
the file is, which entry points it is for and what must happen: ``refused`` with a specific
phrase in the message, or ``accepted`` (with, where the reader must say something, a phrase in
its notes or dropped-row problems). ``expected.json`` and ``README.md`` are written from it.
"""

from __future__ import annotations

import base64
import json
import random
import sys
import zlib
from dataclasses import asdict, dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent

# A small valid scenario: everything not given takes its default.
SMALL = {"name": "corpus", "seed": 11, "market": {"population": 200, "horizon_weeks": 12}}


@dataclass(frozen=True)
class Case:
    file: str
    kind: str
    """``link`` (a share-link token in a .txt file), ``scenario`` (a scenario file) or ``log``."""
    what: str
    outcome: str
    """``refused`` or ``accepted``."""
    phrase: str
    """Refused: a phrase the message must hold. Accepted: a phrase in the notes or problems
    (empty when nothing needs saying)."""


def _token(raw: bytes) -> str:
    """Bytes packed exactly as a share link packs a scenario (zlib, URL-safe base64)."""
    return base64.urlsafe_b64encode(zlib.compress(raw, 9)).decode("ascii").rstrip("=")


def _scenario(**changes: object) -> bytes:
    data = json.loads(json.dumps(SMALL))
    data.update(changes)
    return json.dumps(data, indent=2).encode("utf-8")


def _channels(first_name: str) -> dict[str, object]:
    """Two channels (the first named ``first_name``) and two segments that use them."""
    prefer = {first_name: 1.0, "web": 1.0}
    return {"channels": [{"name": first_name, "kind": "physical"}, {"name": "web"}],
            "segments": [{"name": "=SUM(A1:A9)", "share": 0.5, "channel_preference": prefer},
                         {"name": "online", "share": 0.5, "channel_preference": prefer}]}


def _log_rows(seed: int = 7, customers: int = 60) -> list[list[str]]:
    """A plausible two-year log: visits, purchases and a few returns in store and web."""
    rng = random.Random(seed)
    rows = []
    for c in range(customers):
        cid = f"C{c:07d}"
        for _ in range(rng.randint(1, 8)):
            day = rng.randint(0, 729)
            month, dom = 1 + (day // 61) % 12, 1 + day % 28
            year = 2023 + day // 365
            when = f"{year}-{month:02d}-{dom:02d} {rng.randint(8, 21):02d}:{rng.randint(0, 59):02d}:10"
            channel = rng.choice(["store", "web", "app"])
            rows.append([cid, when, channel, "visit", ""])
            if rng.random() < 0.7:
                amount = rng.randint(500, 25000) / 100
                rows.append([cid, when, channel, "purchase", f"{amount:.2f}"])
                if rng.random() < 0.08:
                    rows.append([cid, when, channel, "return", f"{amount:.2f}"])
    return rows


HEADER = ["customer_id", "timestamp", "channel", "event_type", "amount"]


def _csv(rows: list[list[str]], delimiter: str = ",", header: list[str] = HEADER) -> str:
    def cell(value: str) -> str:
        quoted = '"' + value.replace('"', '""') + '"'
        return quoted if delimiter in value or '"' in value else value
    return "".join(delimiter.join(cell(v) for v in row) + "\n" for row in [header, *rows])


def _minimal_xlsx() -> bytes:
    """A tiny ZIP holding one workbook part (what an .xlsx renamed to .csv looks like)."""
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        info = zipfile.ZipInfo("xl/workbook.xml", date_time=(2024, 1, 1, 0, 0, 0))
        archive.writestr(info, '<?xml version="1.0"?><workbook/>')
    return buffer.getvalue()


def build() -> dict[str, tuple[Case, bytes]]:
    """Every corpus file: name -> (case, content)."""
    out: dict[str, tuple[Case, bytes]] = {}

    def add(case: Case, content: bytes) -> None:
        out[case.file] = (case, content)

    rng = random.Random(20241111)
    # Share links: data only, never a path.
    for file, token, what in (
        ("link_etc_passwd.txt", "/etc/passwd", "an absolute path as the link's payload"),
        ("link_relative_path.txt", "../../../etc/passwd", "a relative path climbing out"),
        ("link_file_url.txt", "file:///etc/passwd", "a file:// URL"),
        ("link_dev_zero.txt", "/dev/zero", "an endless device"),
        ("link_scenario_path.txt", "data/presets/benchmark_retailer.toml", "a path to a real project file"),
    ):
        add(Case(file, "link", what, "refused", "damaged or truncated"), token.encode())
    add(Case("link_token_of_path.txt", "link", "a well-formed token whose content is a path",
             "refused", "not valid JSON"), _token(b"/etc/passwd").encode())
    add(Case("link_bomb_2mb.txt", "link", "a small token inflating to 2 MB", "refused",
             "inflates to more than"), _token(b'{"name": "' + b"a" * 2_000_000 + b'"}').encode())
    add(Case("link_bomb_45mb.txt", "link", "a 58 KB token inflating to 45 MB of blanks", "refused",
             "inflates to more than"), _bomb_token(45_000_000).encode())
    add(Case("link_too_long.txt", "link", "a token longer than any scenario needs", "refused",
             "characters long"), _token(rng.randbytes(60_000)).encode())
    add(Case("link_deep.txt", "link", "a token of JSON nested 10,000 deep", "refused",
             "levels deep"), _token(b'{"a":' * 10_000 + b"1" + b"}" * 10_000).encode())
    # Scenario files (CLI --scenario, API, sidebar upload, and packed into a link).
    add(Case("deep.json", "scenario", "objects nested 20,000 deep", "refused", "levels deep"),
        b'{"a":' * 20_000 + b"1" + b"}" * 20_000)
    add(Case("deep_lists.json", "scenario", "lists nested 5,000 deep", "refused", "levels deep"),
        b"[" * 5000 + b"]" * 5000)
    add(Case("binary.json", "scenario", "a PNG image renamed .json", "refused", "PNG image"),
        b"\x89PNG\r\n\x1a\n" + rng.randbytes(300))
    add(Case("random_bytes.json", "scenario", "random bytes", "refused", "binary data"),
        bytes([0, 1, 2, 3]) + rng.randbytes(500))
    add(Case("empty.json", "scenario", "an empty file", "refused", "empty"), b"")
    add(Case("whitespace.json", "scenario", "only blanks and newlines", "refused", "empty"), b"  \n\t\n")
    add(Case("not_json.json", "scenario", "a CSV saved as .json", "refused", "not valid JSON"),
        b"name,seed\ncorpus,11\n")
    add(Case("array.json", "scenario", "a JSON list, not an object", "refused", "one JSON object"),
        b"[1, 2, 3]")
    add(Case("nan.json", "scenario", "NaN as a number", "refused", "NaN"),
        b'{"name": "corpus", "market": {"population": NaN}}')
    add(Case("infinity.json", "scenario", "Infinity as a number", "refused", "Infinity"),
        b'{"name": "corpus", "economics": {"gross_margin": Infinity}}')
    add(Case("duplicate_key.json", "scenario", "a key given twice", "refused", "appears twice"),
        b'{"name": "a", "seed": 1, "name": "b"}')
    add(Case("unknown_field.json", "scenario", "a parameter that does not exist", "refused",
             "colour"), _scenario(colour="blue"))
    add(Case("html_channel_name.json", "scenario", "HTML in a channel name", "refused",
             "must not hold < or >"), _scenario(**_channels("<img src=x onerror=alert(1)>")))
    add(Case("control_in_name.json", "scenario", "a line break and a bell in the scenario name",
             "refused", "control characters"), _scenario(name="two\nlines\x07"))
    add(Case("html_scenario_name.json", "scenario", "HTML in the scenario name (shown escaped)",
             "accepted", ""), _scenario(name="<b>bold</b> <script>alert(1)</script>"))
    add(Case("formula_channel_name.json", "scenario", "formulas as channel and segment names "
             "(neutralised in every CSV written)", "accepted", ""),
        _scenario(**_channels('=HYPERLINK("http://x.example","y")')))
    add(Case("bom.json", "scenario", "UTF-8 with a byte-order mark", "accepted", ""),
        b"\xef\xbb\xbf" + _scenario(name="with BOM"))
    add(Case("utf16.json", "scenario", "UTF-16 (Windows 'Unicode'), with BOM", "accepted", ""),
        _scenario(name="UTF-16 café").decode().encode("utf-16"))
    add(Case("utf16le_nobom.json", "scenario", "UTF-16 little-endian without BOM", "accepted", ""),
        _scenario(name="UTF-16 LE").decode().encode("utf-16-le"))
    add(Case("cp1252.json", "scenario", "Windows-1252 (an accented name)", "accepted", ""),
        _scenario(name="Café Ñandú").decode().encode("cp1252"))
    add(Case("too_large.json", "scenario", "a scenario just over 1 MB", "refused", "at most"),
        _scenario(description="x" * 1_000_000))
    # Event logs (CLI calibrate --events, API validate_events, the calibrate page).
    rows = _log_rows()
    plain = _csv(rows)
    add(Case("log_good.csv", "log", "a clean log (control)", "accepted", "UTF-8, comma-separated"),
        plain.encode())
    wide = [*rows[:40], ["C0000001", "2023-02-02 10:00:10", "store", "purchase", "12", "50", "extra"],
            *rows[40:]]
    add(Case("log_extra_fields.csv", "log", "a row with more fields than the header", "accepted",
             "more fields than the header"), _csv(wide).encode())
    accented = [[r[0], r[1], "boutique café" if r[2] == "store" else r[2], r[3], r[4]] for r in rows]
    add(Case("log_latin1.csv", "log", "Latin-1 with accented channel names", "accepted",
             "Windows-1252"), _csv(accented).encode("latin-1"))
    add(Case("log_utf16.csv", "log", "UTF-16 with BOM, tab-separated (Excel 'Unicode text')",
             "accepted", "UTF-16"), _csv(rows, "\t").encode("utf-16"))
    add(Case("log_utf16le_nobom.csv", "log", "UTF-16 little-endian without BOM", "accepted",
             "UTF-16 (little-endian)"), plain.encode("utf-16-le"))
    inf = [*rows[:10], ["C0000002", "2023-03-03 10:00:10", "web", "purchase", "inf"],
           ["C0000003", "2023-03-03 11:00:10", "web", "purchase", "1e400"], *rows[10:]]
    add(Case("log_inf_amount.csv", "log", "inf and 1e400 amounts", "accepted",
             "without a finite numeric amount"), _csv(inf).encode())
    centuries = [*rows, ["C0000004", "1800-01-01 10:00:00", "store", "purchase", "10.00"],
                 ["C0000005", "2999-12-31 10:00:00", "store", "purchase", "10.00"]]
    add(Case("log_dates_1800_2999.csv", "log", "dates in 1800 and 2999", "accepted",
             "date before 1990"), _csv(centuries).encode())
    formula = [[("=" if i % 4 == 0 else "+" if i % 4 == 1 else "-" if i % 4 == 2 else "@") + r[0]
                if i % 5 == 0 else r[0], *r[1:]] for i, r in enumerate(rows)]
    formula[0][0] = '=HYPERLINK("http://x.example","C")'
    add(Case("log_formula_ids.csv", "log", "customer ids starting with =, +, - and @", "accepted",
             "start with =, +, - or @"), _csv(formula).encode())
    comma = [[*r[:4], r[4].replace(".", ",")] for r in rows]
    add(Case("log_decimal_comma.csv", "log", 'decimal comma in quoted amounts ("10,50")',
             "accepted", "decimal comma"), _csv(comma).encode())
    euro = [[*r[:4], f"1.{r[4].replace('.', ',')}" if r[4] and i % 3 == 0 and len(r[4]) == 6
             else r[4].replace(".", ",")] for i, r in enumerate(rows)]
    add(Case("log_semicolon_thousands.csv", "log", "semicolon-separated, 1.234,56 amounts",
             "accepted", "semicolon-separated, decimal comma"), _csv(euro, ";").encode())
    add(Case("log_semicolon.csv", "log", "semicolon-separated, decimal point", "accepted",
             "semicolon-separated, decimal point"), _csv(rows, ";").encode())
    add(Case("log_pipe.csv", "log", "pipe-separated", "accepted", "pipe-separated"),
        _csv(rows, "|").encode())
    add(Case("log_bom.csv", "log", "UTF-8 with a byte-order mark (Excel 'CSV UTF-8')", "accepted",
             "byte-order mark"), b"\xef\xbb\xbf" + plain.encode())
    add(Case("log_xlsx.csv", "log", "an Excel workbook renamed .csv", "refused", "Excel"),
        _minimal_xlsx())
    add(Case("log_binary.csv", "log", "random binary bytes", "refused", "binary data"),
        rng.randbytes(2000).replace(b"\xff\xfe", b"\x00\x00").replace(b"\xfe\xff", b"\x00\x00"))
    add(Case("log_empty.csv", "log", "an empty file", "refused", "empty"), b"")
    add(Case("log_header_only.csv", "log", "a header and no rows", "refused", "no rows"),
        _csv([]).encode())
    unknown = [[*r[:2], "fax" if i % 7 == 0 else r[2], *r[3:]] for i, r in enumerate(rows)]
    add(Case("log_unknown_channel.csv", "log", "a channel nobody configured ('fax')", "accepted",
             "'fax' is not in the scenario"), _csv(unknown).encode())
    ambiguous = [[r[0], f"{int(r[1][8:10]) % 12 + 1:02d}/{r[1][5:7]}/{r[1][:4]}", *r[2:]] for r in rows]
    add(Case("log_ambiguous_dates.csv", "log", "dates like 03/04/2024 with no day above 12",
             "refused", "day-first or month-first"), _csv(ambiguous).encode())
    ambiguous_amounts = [[*r[:4], "1,250" if r[4] else ""] for r in rows]
    add(Case("log_ambiguous_amounts.csv", "log", "semicolon file whose amounts are all like 1,250",
             "refused", "could mean a thousand or a decimal"), _csv(ambiguous_amounts, ";").encode())
    mixed = [[*r[:4], (r[4].replace(".", ",") if i % 2 else r[4])] for i, r in enumerate(rows)]
    add(Case("log_mixed_decimals.csv", "log", "amounts mixing 10.50 and 10,50", "refused",
             "mix a decimal point"), _csv(mixed, ";").encode())
    renamed = _csv(rows, header=["cust", "time", "chan", "type", "value"])
    add(Case("log_missing_columns.csv", "log", "other column names, no mapping", "refused",
             "missing columns"), renamed.encode())
    add(Case("log_span_centuries.csv", "log", "valid dates spread over 30 years", "refused",
             "spans"), _csv([[*r[:1], f"{1995 + i % 30}{r[1][4:]}", *r[2:]]
                             for i, r in enumerate(rows)]).encode())
    return out


def _bomb_token(size: int) -> str:
    """A token for ``size`` bytes of JSON whitespace, compressed in pieces (never held whole)."""
    compressor = zlib.compressobj(9)
    piece = b" " * 1_000_000
    packed = [compressor.compress(b'{"name":"x"}')]
    for _ in range(size // len(piece)):
        packed.append(compressor.compress(piece))
    packed.append(compressor.flush())
    return base64.urlsafe_b64encode(b"".join(packed)).decode("ascii").rstrip("=")


def readme(cases: list[Case]) -> str:
    lines = ["# Bad inputs corpus (issue 11)", "",
             "Generated by `make_corpus.py` (deterministic; do not edit the files by hand). Each file",
             "goes through every entry point of its kind in `tests/simulation/inputs/test_corpus.py`",
             "(CLI, API) and `tests/app/test_input_boundary.py` (sidebar upload, share link, calibrate",
             "page). *link* files hold a share-link token (the `?s=` payload).", "",
             "| file | kind | class | expected outcome |", "|---|---|---|---|"]
    for c in cases:
        outcome = (f"refused: message holds \"{c.phrase}\"" if c.outcome == "refused"
                   else "accepted" + (f"; notes/problems say \"{c.phrase}\"" if c.phrase else ""))
        lines.append(f"| `{c.file}` | {c.kind} | {c.what} | {outcome} |")
    return "\n".join(lines) + "\n"


def write(folder: Path = HERE) -> list[Case]:
    files = build()
    cases = [case for case, _ in files.values()]
    for name, (_, content) in files.items():
        (folder / name).write_bytes(content)
    (folder / "expected.json").write_text(json.dumps([asdict(c) for c in cases], indent=1,
                                                     ensure_ascii=False) + "\n", encoding="utf-8")
    (folder / "README.md").write_text(readme(cases), encoding="utf-8")
    return cases


if __name__ == "__main__":
    written = write(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE)
    print(f"wrote {len(written)} corpus files")
