"""The dry-run report of a merger, as text (command), CSV and PDF (to attach to the file)."""

import csv
import io

from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..ingest.samples import font_path

LEVEL_LABELS = (
    ("fonds", gettext_lazy("Phông")),
    ("series", gettext_lazy("Mục lục")),
    ("files", gettext_lazy("Hồ sơ")),
    ("documents", gettext_lazy("Tài liệu")),
    ("scans", gettext_lazy("Bản số hóa")),
)


def level_labels():
    return [(level, str(label)) for level, label in LEVEL_LABELS]


def number(value):
    return number_format(value or 0, force_grouping=True)


def source_rows(source):
    """``(label, value)`` rows summing up one former archive."""
    rows = [(label, number(source["counts"][level])) for level, label in level_labels()]
    deleted = sum(source["deleted"].values())
    drafts = sum(source["drafts"].values())
    rows += [
        (_("Trong đó trong thùng rác"), number(deleted)),
        (_("Bản ghi còn ở dạng bản nháp"), number(drafts)),
        (_("Tệp lưu trữ"), number(source["stored_files"])),
        (_("Dung lượng (byte)"), number(source["stored_bytes"])),
        (
            _("Hồ sơ / tài liệu đất đai"),
            f"{number(source['land']['files'])} / {number(source['land']['documents'])}",
        ),
        (
            _("Hồ sơ / tài liệu dự án đầu tư"),
            f"{number(source['investment']['files'])} / {number(source['investment']['documents'])}",
        ),
        (_("Xung đột mã"), number(len(source["conflicts"]))),
        (_("Tệp sai mã băm hoặc bị thiếu"), number(len(source["fixity_problems"]))),
    ]
    changes = opening_changes_of(source)
    rows.append(
        (
            _("Mở tài liệu hạn chế: sớm hơn / muộn hơn"),
            f"{number(changes['earlier'])} / {number(changes['later'])}",
        )
    )
    return rows


def opening_changes_of(source):
    """The opening changes of a former archive (none in reports made before they were taken stock of)."""
    return source.get("opening_changes") or {"earlier": 0, "later": 0, "listed": []}


def opening_change_message(change):
    """One listed opening change, in words."""
    never = _("không tự mở")
    return _("%(code)s: %(before)s → %(after)s") % {
        "code": change["code"],
        "before": _long_date(change["before"]) or never,
        "after": _long_date(change["after"]) or never,
    }


def _long_date(iso):
    return f"{iso[8:10]}/{iso[5:7]}/{iso[:4]}" if iso else ""


def title(run):
    return _("Báo cáo chạy thử hợp nhất vào %(into)s (đợt số %(run)s)") % {
        "into": run.report["into"]["name"],
        "run": run.pk,
    }


def as_text(run):
    lines = [title(run), ""]
    for source in run.report["sources"]:
        lines.append(f"{source['code']} – {source['name']}")
        lines += [f"  {label}: {value}" for label, value in source_rows(source)]
        for row in source["fonds"]:
            change = f" → {row['new_code']}" if row["new_code"] != row["code"] else ""
            lines.append(
                "  "
                + _("Phông %(code)s%(change)s: %(files)s hồ sơ, %(documents)s tài liệu, %(scans)s bản số hóa")
                % {
                    "code": row["reference_code"],
                    "change": change,
                    "files": row["counts"]["files"],
                    "documents": row["counts"]["documents"],
                    "scans": row["counts"]["scans"],
                }
            )
        lines += ["  " + _("[xung đột] %(message)s") % {"message": c["message"]} for c in source["conflicts"]]
        lines += [
            "  " + _("[tệp] %(message)s") % {"message": p["message"]} for p in source["fixity_problems"]
        ]
        lines += [
            "  " + _("[mở tài liệu] %(message)s") % {"message": opening_change_message(change)}
            for change in opening_changes_of(source)["listed"]
        ]
        lines.append("")
    blocking = run.report.get("blocking", 0)
    if blocking:
        lines.append(_("%(count)s xung đột phải xử lý trước khi hợp nhất.") % {"count": blocking})
    return "\n".join(lines)


def csv_rows(run):
    """One row per former archive, then one per fonds, conflict and file problem."""
    yield [
        _("Loại"),
        _("Cơ quan lưu trữ"),
        _("Mã"),
        _("Mã mới"),
        _("Nội dung"),
        *dict(level_labels()).values(),
    ]
    for source in run.report["sources"]:
        counts = [source["counts"][level] for level, _label in level_labels()]
        summary = "; ".join(f"{label}: {value}" for label, value in source_rows(source)[5:])
        yield [
            _("Cơ quan lưu trữ"),
            source["code"],
            source["code"],
            "",
            f"{source['name']}; {summary}",
            *counts,
        ]
        for row in source["fonds"]:
            counts = [1] + [row["counts"][level] for level, _label in level_labels()[1:]]
            yield [_("Phông"), source["code"], row["reference_code"], row["new_code"], row["name"], *counts]
        for conflict in source["conflicts"]:
            yield [_("Xung đột"), source["code"], conflict["code"], conflict["proposed"], conflict["message"]]
        for problem in source["fixity_problems"]:
            yield [_("Tệp"), source["code"], problem["name"], "", problem["message"]]
        for change in opening_changes_of(source)["listed"]:
            yield [_("Mở tài liệu"), source["code"], change["code"], "", opening_change_message(change)]


def as_csv(run):
    """UTF-8 with a byte order mark, so that Excel opens the Vietnamese text as it is."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerows(csv_rows(run))
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def as_pdf(run):
    """An A4 PDF with DejaVu Sans embedded (every Vietnamese letter)."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_font("DejaVu", fname=str(font_path()))
    pdf.set_title(title(run))
    pdf.add_page()
    pdf.set_font("DejaVu", size=13)
    pdf.multi_cell(0, 7, title(run), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    for source in run.report["sources"]:
        pdf.set_font("DejaVu", size=11)
        pdf.multi_cell(0, 6, f"{source['code']} – {source['name']}", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("DejaVu", size=9)
        for label, value in source_rows(source):
            pdf.cell(90, 5, label)
            pdf.cell(0, 5, value, new_x="LMARGIN", new_y="NEXT")
        for row in source["fonds"]:
            change = f" → {row['new_code']}" if row["new_code"] != row["code"] else ""
            pdf.multi_cell(
                0,
                5,
                _("Phông %(code)s%(change)s – %(name)s: %(files)s hồ sơ, %(documents)s tài liệu")
                % {
                    "code": row["reference_code"],
                    "change": change,
                    "name": row["name"],
                    "files": number(row["counts"]["files"]),
                    "documents": number(row["counts"]["documents"]),
                },
                new_x="LMARGIN",
                new_y="NEXT",
            )
        messages = [item["message"] for item in [*source["conflicts"], *source["fixity_problems"]]]
        messages += [opening_change_message(change) for change in opening_changes_of(source)["listed"]]
        for message in messages:
            pdf.multi_cell(0, 5, f"• {message}", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(3)
    return bytes(pdf.output())
