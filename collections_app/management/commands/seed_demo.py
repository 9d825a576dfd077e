"""seed_demo: the demo national site, its 34 provincial archives and three archives' holdings.

Idempotent: archives, pages, fonds, series and users are looked up before they are created, and a
file whose code already exists in its fonds is skipped with its documents. Holdings are generated
from a fixed random seed, so every run plans the same records.
"""

import datetime
import io
import math
import random
import time
from collections import Counter
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Count, Sum
from django.utils.html import escape
from wagtail.models import Page, Site

from archivecms.portal.models import ArchivePage, NationalHomePage
from collections_app import demo_data
from collections_app.bulk import (
    bulk_create_documents,
    bulk_create_files,
    bulk_link_categories,
    refresh_planner_statistics,
)
from collections_app.ingest import samples
from collections_app.ingest.scans import ingest_scan_file
from collections_app.models import (
    AdministrativeUnit,
    Archive,
    Category,
    DigitalObject,
    DigitizationBatch,
    DigitizationPlan,
    Document,
    Fonds,
    RecordFile,
    Role,
    Series,
    UnitKind,
    UnitLevel,
    fold_slug,
)
from collections_app.roles import ensure_national_admin_group, role_group
from collections_app.signals import records_changed
from collections_app.vocabularies import (
    AccessRegime,
    Condition,
    Language,
    OriginalStatus,
    PublicationStatus,
    Retention,
)

REORGANISATION_DAY = "01/07/2025"
LAST_RECORD_DATE = datetime.date(2025, 6, 30)
SECRET_SHARE = 0.01
CONDITIONAL_SHARE = 0.08
DRAFT_SHARE = 0.10
MONTH_PRECISION_SHARE = 0.05
WAGTAIL_WELCOME_TITLE = "Welcome to your new Wagtail site!"
DEMO_SCANS_PER_ARCHIVE = 2
DEMO_SCAN_DPI = 200
DEMO_PAGES_PER_DOCUMENT = 3
DEMO_BATCH_NAME = "Lô minh họa 01"
PRIORITY_CATEGORY_SLUGS = ("dat-dai", "du-an-dau-tu")


class Command(BaseCommand):
    help = (
        "Load the demo national site: the 34 provincial archives with their pages, holdings for "
        "Tuyên Quang, Đồng Nai and Hồ Chí Minh, and demo logins. Safe to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--scans",
            type=int,
            default=DEMO_SCANS_PER_ARCHIVE,
            help="Scanned land documents per demo archive, queued for OCR (the task worker of "
            f"`make demo` processes them). Default {DEMO_SCANS_PER_ARCHIVE}.",
        )
        parser.add_argument(
            "--items",
            type=int,
            default=demo_data.DEFAULT_ITEMS,
            help="Number of demo documents across the three archives (files are about a fifth). "
            f"Default {demo_data.DEFAULT_ITEMS}.",
        )

    def handle(self, *args, items, scans, **options):
        if items < 0 or scans < 0:
            raise CommandError("--items and --scans must be zero or more.")
        started = time.perf_counter()
        with transaction.atomic():
            national_home = ensure_national_home()
            archives = ensure_provincial_archives(national_home)
        self.report_time("National home, 34 archives and their pages", started)

        holdings_started = time.perf_counter()
        added = seed_all_holdings(archives, items)
        refresh_planner_statistics()
        self.report_time(f"Holdings ({added} new files)", holdings_started)

        scans_started = time.perf_counter()
        stored = seed_digitization(archives, scans)
        self.report_time(f"Digitization plans and {stored} new scans queued for OCR", scans_started)

        users_started = time.perf_counter()
        logins = ensure_demo_users(archives)
        self.report_time("Demo users", users_started)

        if not (settings.SIGNING_CERT or settings.SIGNING_KEY):
            from collections_app.signing import ensure_demo_certificate

            self.stdout.write(f"Demo signing certificate: {ensure_demo_certificate()[0]}")

        self.print_summary(archives)
        self.print_logins(logins)
        self.report_time("seed_demo finished", started)

    def report_time(self, label, since):
        self.stdout.write(f"{label}: {time.perf_counter() - since:.1f} s")

    def print_summary(self, archives):
        self.stdout.write("")
        self.stdout.write(f"{'Archive':<58} {'fonds':>6} {'series':>7} {'files':>7} {'docs':>8}")
        for holding in demo_data.HOLDINGS:
            archive = archives[holding.slug]
            counts = holdings_counts(archive)
            self.stdout.write(
                f"{archive.code} {archive.name:<53} {counts['fonds']:>6} {counts['series']:>7} "
                f"{counts['files']:>7} {counts['documents']:>8}"
            )
        others = len(archives) - len(demo_data.HOLDINGS)
        self.stdout.write(f"… and {others} other archives with their pages, without holdings.")

    def print_logins(self, logins):
        self.stdout.write("")
        self.stdout.write(f"Admin: {settings.WAGTAILADMIN_BASE_URL.rstrip('/')}/admin/")
        for username, password, role in logins:
            self.stdout.write(f"  {username:<22} {password:<32} {role}")


# Pages and archives -----------------------------------------------------------------------------


def ensure_national_home():
    """The national home as the default site's root, in place of Wagtail's welcome page."""
    home = NationalHomePage.objects.first()
    if home is None:
        home = NationalHomePage(
            title=demo_data.NATIONAL_HOME_TITLE,
            slug=demo_data.NATIONAL_HOME_SLUG,
            introduction=demo_data.NATIONAL_HOME_INTRODUCTION,
        )
        Page.get_first_root_node().add_child(instance=home)
        home.save_revision().publish()
    point_default_site_to(home)
    delete_wagtail_welcome_page()
    return home


def point_default_site_to(home):
    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        Site.objects.create(
            hostname="localhost",
            port=80,
            root_page=home,
            is_default_site=True,
            site_name=str(settings.WAGTAIL_SITE_NAME),
        )
    elif site.root_page_id != home.pk:
        site.root_page = home
        site.save()


def delete_wagtail_welcome_page():
    """Remove the plain "Welcome to your new Wagtail site!" page once no site uses it."""
    welcome_pages = Page.objects.filter(
        depth=2,
        title=WAGTAIL_WELCOME_TITLE,
        content_type=ContentType.objects.get_for_model(Page),
        numchild=0,
        sites_rooted_here__isnull=True,
    )
    for page in welcome_pages:
        page.delete()


def ensure_provincial_archives(national_home):
    """One archive and one live ArchivePage per current province-level unit, by the unit's slug."""
    archives = {}
    for unit in AdministrativeUnit.objects.current().provinces().order_by("code"):
        archive = ensure_archive(unit)
        ensure_archive_page(national_home, archive, unit)
        archives[fold_slug(unit.name)] = archive
    return archives


def ensure_archive(unit):
    archive, _created = Archive.objects.get_or_create(
        code=f"LT{unit.code}",
        defaults={"name": archive_name(unit), "slug": fold_slug(unit.name), "unit": unit},
    )
    return archive


def archive_name(unit):
    return f"Trung tâm Lưu trữ lịch sử {unit_phrase(unit, capital=False)}"


def unit_phrase(unit, capital=True):
    """ "tỉnh Hà Giang", "Thành phố Hồ Chí Minh" (or "thành phố" mid-name, as archives write it)."""
    if unit.kind == UnitKind.CITY:
        return f"{'Thành phố' if capital else 'thành phố'} {unit.name}"
    return f"tỉnh {unit.name}"


def ensure_archive_page(national_home, archive, unit):
    page = ArchivePage.objects.filter(archive=archive).first()
    if page is not None or national_home.get_children().filter(slug=archive.slug).exists():
        return page
    page = ArchivePage(
        title=archive.name, slug=archive.slug, archive=archive, introduction=archive_introduction(unit)
    )
    national_home.add_child(instance=page)
    page.save_revision().publish()
    return page


def archive_introduction(unit):
    place = unit_phrase(unit)
    absorbed = absorbed_former_units(unit)
    if not absorbed:
        text = (
            f"Lưu giữ tài liệu lưu trữ lịch sử của các cơ quan, tổ chức {place}. {place[0].upper()}"
            f"{place[1:]} giữ nguyên địa giới khi sắp xếp đơn vị hành chính ngày {REORGANISATION_DAY}."
        )
    else:
        names = join_names([unit_phrase(former) for former in absorbed])
        text = (
            f"Lưu giữ tài liệu lưu trữ lịch sử của các cơ quan, tổ chức {place}, gồm cả tài liệu của "
            f"{names} trước đây, hợp nhất vào {place} từ ngày {REORGANISATION_DAY}."
        )
    return f"<p>{escape(text)}</p>"


def absorbed_former_units(unit):
    """Former provinces merged into ``unit`` other than its namesake.

    Not ``unit.absorbed_units()``: that keeps the predecessor with a different *code*, which is
    wrong where the new province took its code from the absorbed one (Bắc Ninh has code 24, that
    of the former Bắc Giang).
    """
    return [former for former in unit.predecessors().order_by("name") if former.name != unit.name]


def join_names(names):
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} và {names[-1]}"


# Holdings ---------------------------------------------------------------------------------------


def seed_all_holdings(archives, items):
    shares = split_by_weight(items, [holding.share for holding in demo_data.HOLDINGS])
    categories = {category.slug: category for category in Category.objects.all()}
    added = 0
    for holding, document_count in zip(demo_data.HOLDINGS, shares, strict=True):
        fonds_shares = split_by_weight(document_count, [spec.weight for spec in holding.fonds])
        for spec, fonds_documents in zip(holding.fonds, fonds_shares, strict=True):
            fonds = ensure_fonds(archives[holding.slug], spec)
            series = ensure_series(fonds, spec)
            plans = DemoFondsRecords(spec, fonds, series, fonds_documents).plans()
            added += load_new_records(fonds, plans, categories)
    return added


def split_by_weight(total, weights):
    """Integers proportional to ``weights`` that add up to ``total`` (largest remainders)."""
    quotas = [total * weight / sum(weights) for weight in weights]
    shares = [int(quota) for quota in quotas]
    by_remainder = sorted(range(len(weights)), key=lambda i: quotas[i] - shares[i], reverse=True)
    for index in by_remainder[: total - sum(shares)]:
        shares[index] += 1
    return shares


def ensure_fonds(archive, spec):
    first, last = spec.years
    fonds, _created = Fonds.objects.get_or_create(
        archive=archive,
        code=spec.code,
        defaults={
            "name": spec.name,
            "creator_code": spec.creator_code,
            "creating_body_history": spec.history,
            "date_range": f"{first}–{last}",
            "unit": fonds_unit(spec),
            "languages": [Language.VIETNAMESE],
            "main_record_groups": "Đất đai; dự án đầu tư; quy hoạch; kế hoạch phát triển kinh tế - xã hội",
            "finding_aids": "Mục lục hồ sơ",
            "is_closed": spec.is_closed,
            "notes": "Dữ liệu minh họa do lệnh seed_demo tạo.",
            "publication_status": PublicationStatus.PUBLISHED,
        },
    )
    return fonds


def fonds_unit(spec):
    units = AdministrativeUnit.objects.filter(level=UnitLevel.PROVINCE, code=spec.unit_code)
    if spec.former_unit:
        return units.filter(valid_to__isnull=False).get()
    return units.current().get()


def ensure_series(fonds, spec):
    """Two inventories per fonds, splitting its years in half: [(series, first year, last year)]."""
    first, last = spec.years
    middle = (first + last) // 2
    spans = []
    for number, start, end in (("01", first, middle), ("02", middle + 1, last)):
        item, _created = Series.objects.get_or_create(
            fonds=fonds,
            number=number,
            defaults={
                "title": f"Mục lục hồ sơ phông {fonds.name} giai đoạn {start}–{end}",
                "date_range": f"{start}–{end}",
                "publication_status": PublicationStatus.PUBLISHED,
            },
        )
        spans.append((item, start, end))
    return spans


def load_new_records(fonds, plans, categories):
    """Insert the planned files whose code the fonds does not hold yet, with their documents."""
    existing_codes = set(RecordFile.objects.filter(fonds=fonds).values_list("file_code", flat=True))
    new_plans = [plan for plan in plans if plan.file.compose_file_code() not in existing_codes]
    with transaction.atomic():
        files = bulk_create_files(plan.file for plan in new_plans)
        bulk_link_categories(
            RecordFile,
            ((plan.file, categories[slug]) for plan in new_plans for slug in plan.categories),
        )
        documents = bulk_create_documents(document for plan in new_plans for document in plan.documents)
        update_fonds_totals(fonds)
        # Written without save(): the search indexes them once the transaction has committed.
        changes = {RecordFile: [file.pk for file in files], Document: [document.pk for document in documents]}
        records_changed.send(RecordFile, changes=changes)
    return len(new_plans)


def update_fonds_totals(fonds):
    files = RecordFile.objects.filter(fonds=fonds)
    Fonds.objects.filter(pk=fonds.pk).update(total_paper_records=files.count())


def holdings_counts(archive):
    return {
        "fonds": Fonds.objects.filter(archive=archive).count(),
        "series": Series.objects.filter(archive=archive).count(),
        "files": RecordFile.objects.filter(archive=archive).count(),
        "documents": Document.objects.filter(archive=archive).count(),
    }


@dataclass
class FilePlan:
    file: RecordFile
    categories: tuple
    documents: list


class DemoFondsRecords:
    """The files and documents of one demo fonds, the same on every run (seeded by its code)."""

    def __init__(self, spec, fonds, series, document_count):
        self.spec = spec
        self.fonds = fonds
        self.series = series
        self.document_count = document_count
        self.rng = random.Random(f"{demo_data.RANDOM_SEED}:{spec.code}")
        self.province = unit_phrase(fonds.unit)
        self.bodies = self.surrounding_bodies()

    def plans(self):
        plans = [self.plan_file(count) for count in self.documents_per_file()]
        self.place_in_series(plans)
        return plans

    def documents_per_file(self):
        """Split the fonds' documents over about a fifth as many files, each with at least one."""
        if self.document_count == 0:
            return []
        file_count = max(1, round(self.document_count / demo_data.DOCUMENTS_PER_FILE))
        counts = [1] * file_count
        for _ in range(self.document_count - file_count):
            counts[self.rng.randrange(file_count)] += 1
        return counts

    def place_in_series(self, plans):
        """Sort files by year and number them within the series that covers their year."""
        plans.sort(key=lambda plan: plan.file.year)
        numbers = Counter()
        for plan in plans:
            series = next(item for item, start, end in self.series if start <= plan.file.year <= end)
            numbers[series.number] += 1
            number = numbers[series.number]
            box = (number - 1) // demo_data.BOX_SIZE + 1
            plan.file.series = series
            plan.file.number_in_series = number
            plan.file.file_number = str(number)
            plan.file.box = str(box)
            plan.file.shelf = f"Kho 1, giá {series.number}.{(box - 1) // 10 + 1:02d}"

    # One file -----------------------------------------------------------------------------------

    def plan_file(self, document_count):
        theme = demo_data.THEMES[self.pick_theme()]
        year = self.rng.randint(*self.spec.years)
        dates = self.document_dates(year, document_count)
        context = self.file_context(year, dates[0])
        title = self.rng.choice(theme.file_titles).format(**context)
        context["subject"] = title.removeprefix("Hồ sơ ")
        file = self.record_file(theme, year, title, dates)
        templates = self.document_templates(theme, document_count)
        documents = [
            self.document(file, ordinal, template, issued, context)
            for ordinal, (template, issued) in enumerate(zip(templates, dates, strict=True), start=1)
        ]
        file.page_count = sum(document.page_count for document in documents)
        file.sheet_count = math.ceil(file.page_count * 0.8)
        return FilePlan(file, theme.categories, documents)

    def pick_theme(self):
        mix = demo_data.THEME_MIX[self.spec.kind]
        return self.rng.choices(list(mix), weights=list(mix.values()))[0]

    def record_file(self, theme, year, title, dates):
        regime, reason, opening_date = self.access()
        start, end = dates[0].isoformat(), dates[-1].isoformat()
        if self.rng.random() < MONTH_PRECISION_SHARE:
            start, end = start[:7], end[:7]
        return RecordFile(
            fonds=self.fonds,
            archive=self.fonds.archive,
            year=year,
            title=title[:1000],
            start_date=start,
            end_date=end,
            total_documents=len(dates),
            retention=Retention.PERMANENT if self.rng.random() < 0.97 else Retention.YEARS_70,
            access_regime=regime,
            access_reason=reason,
            opening_date=opening_date,
            languages=[Language.VIETNAMESE],
            keywords=theme.keywords,
            condition=self.rng.choices([Condition.GOOD, Condition.NORMAL, Condition.DAMAGED], [80, 18, 2])[0],
            original_status=OriginalStatus.ORIGINAL if self.rng.random() < 0.9 else OriginalStatus.MAIN,
            creating_unit=self.fonds.unit,
            publication_status=(
                PublicationStatus.DRAFT if self.rng.random() < DRAFT_SHARE else PublicationStatus.PUBLISHED
            ),
        )

    def document_dates(self, year, count):
        """Ascending dates of a file's documents within its year, never after 30/06/2025."""
        last_day = min(datetime.date(year, 12, 31), LAST_RECORD_DATE)
        first_day = datetime.date(year, 1, 2)
        span = max(0, (last_day - first_day).days - 30)
        dates = [first_day + datetime.timedelta(days=self.rng.randint(0, span))]
        for _ in range(count - 1):
            dates.append(min(last_day, dates[-1] + datetime.timedelta(days=self.rng.randint(0, 12))))
        return dates

    def document_templates(self, theme, count):
        """``count`` of the theme's documents in order, keeping its key one; fillers beyond them."""
        core = list(theme.documents)
        if count <= len(core):
            others = [index for index in range(len(core)) if index != theme.key_document]
            chosen = sorted([theme.key_document, *self.rng.sample(others, count - 1)])
            return [core[index] for index in chosen]
        for _ in range(count - len(core)):
            core.insert(self.rng.randint(1, len(core)), self.rng.choice(demo_data.FILLER_DOCUMENTS))
        return core

    # One document -------------------------------------------------------------------------------

    def document(self, file, ordinal, template, issued, context):
        type_code, issuer, notation, title = template
        number, notation = self.number_and_notation(notation)
        regime, reason, opening_date = self.access()
        return Document(
            file=file,
            ordinal=ordinal,
            type_name=type_code,
            code_number=number,
            code_notation=notation,
            issued_date=issued.isoformat(),
            organ_name=self.issuer_name(issuer, context)[:200],
            title=title.format(**context)[:500],
            page_count=1 if type_code in ("30", "31") else self.rng.randint(1, 12),
            languages=[Language.VIETNAMESE],
            retention=file.retention,
            access_regime=regime,
            access_reason=reason,
            opening_date=opening_date,
            condition=file.condition,
            publication_status=file.publication_status,
        )

    def number_and_notation(self, notation):
        if not notation:
            return "", ""
        if notation == "certificate":
            return str(self.rng.randint(10**9, 10**10 - 1)), ""
        abbreviations = {name: self.bodies[name][1] for name in ("land", "investment", "construction")}
        abbreviations["self"] = demo_data.SELF_ABBREVIATION[self.spec.kind]
        return str(self.rng.randint(1, 3000)), notation.format(**abbreviations)

    def issuer_name(self, issuer, context):
        named_in_context = {
            "company": context["company"],
            "person": context["person"][0].upper() + context["person"][1:],
            "council": f"Hội đồng bồi thường, hỗ trợ và tái định cư dự án {context['project']}",
            "commune": f"Ủy ban nhân dân {context['commune']}",
            "district": f"Ủy ban nhân dân {context['district']}",
            "province": f"Ủy ban nhân dân {self.province}",
            "self": self.fonds.name,
        }
        if issuer in named_in_context:
            return named_in_context[issuer]
        return self.bodies[issuer][0]

    def access(self):
        """(access regime, reason, opening date): about 1 % secret, 8 % conditional."""
        draw = self.rng.random()
        if draw < SECRET_SHARE:
            return AccessRegime.SECRET, demo_data.CLASSIFIED_REASON, None
        if draw < SECRET_SHARE + CONDITIONAL_SHARE:
            reason = self.rng.choice(demo_data.CONDITIONAL_REASONS)
            return AccessRegime.CONDITIONAL, reason, self.opening_date()
        return AccessRegime.OPEN, "", None

    def opening_date(self):
        """Half already reached (2015–2024), half far ahead (2030–2043)."""
        if self.rng.random() < 0.5:
            return datetime.date(2015, 1, 1) + datetime.timedelta(days=self.rng.randint(0, 3600))
        return datetime.date(2030, 1, 1) + datetime.timedelta(days=self.rng.randint(0, 5000))

    # Names in the fonds' context ----------------------------------------------------------------

    def surrounding_bodies(self):
        if self.spec.kind == "district":
            patterns, jurisdiction = demo_data.DISTRICT_BODIES, f"huyện {self.spec.district}"
        else:
            patterns, jurisdiction = demo_data.PROVINCIAL_BODIES, self.province
        return {
            name: (pattern.format(jurisdiction=jurisdiction), abbreviation)
            for name, (pattern, abbreviation) in patterns.items()
        }

    def file_context(self, year, first_date):
        district, commune = self.place()
        return {
            "company": self.company(),
            "project": self.project(commune),
            "person": self.person(),
            "place": f"{commune}, {district}",
            "district": district,
            "commune": commune,
            "province": self.province,
            "organ": self.fonds.name,
            "year": year,
            "previous_year": year - 1,
            "next_year": year + 1,
            "month": first_date.month,
            "area": f"{self.rng.uniform(0.3, 150):.2f}".replace(".", ","),
            "parcel": self.rng.randint(1, 999),
            "sheet": self.rng.randint(1, 80),
            "serial": f"{self.rng.randint(1, 99999):05d}",
        }

    def place(self):
        if self.spec.kind == "district":
            communes = demo_data.DISTRICT_COMMUNES[self.spec.district]
            return f"huyện {self.spec.district}", self.rng.choice(communes)
        district = self.rng.choice(demo_data.DISTRICTS[self.spec.unit_code])
        return district, self.rng.choice(demo_data.COMMON_COMMUNES)

    def company(self):
        rng = self.rng
        return " ".join(
            rng.choice(words)
            for words in (demo_data.COMPANY_FORMS, demo_data.COMPANY_TRADES, demo_data.COMPANY_BRANDS)
        )

    def project(self, commune):
        special = demo_data.SPECIAL_PROJECTS.get(self.spec.district)
        if special and self.rng.random() < 0.3:
            return self.rng.choice(special)
        name = commune.split(" ", 2)[-1] if commune.startswith("thị trấn") else commune.split(" ", 1)[-1]
        return self.rng.choice(demo_data.PROJECT_KINDS).format(name=name)

    def person(self):
        rng = self.rng
        if rng.random() < 0.5:
            title, middle, given = "ông", demo_data.MALE_MIDDLE, demo_data.MALE_GIVEN
        else:
            title, middle, given = "bà", demo_data.FEMALE_MIDDLE, demo_data.FEMALE_GIVEN
        return f"{title} {rng.choice(demo_data.FAMILY_NAMES)} {rng.choice(middle)} {rng.choice(given)}"


# Users ------------------------------------------------------------------------------------------


def ensure_demo_users(archives):
    """The national admin and three staff logins per demo archive; returns (login, password, role)."""
    admin_group = ensure_national_admin_group()
    ensure_user(
        demo_data.ADMIN_USERNAME,
        demo_data.ADMIN_PASSWORD,
        [admin_group],
        is_superuser=True,
        is_staff=True,
        first_name="Quản trị",
        last_name="hệ thống",
    )
    logins = [(demo_data.ADMIN_USERNAME, demo_data.ADMIN_PASSWORD, admin_group.name)]
    for holding in demo_data.HOLDINGS:
        archive = archives[holding.slug]
        for role, prefix, (last_name, first_name) in demo_data.STAFF_LOGINS:
            username = f"{prefix}.{holding.login_suffix}"
            password = demo_data.STAFF_PASSWORD_PATTERN.format(username=username)
            group = role_group(archive, Role(role))
            ensure_user(username, password, [group], first_name=first_name, last_name=last_name)
            logins.append((username, password, group.name))
    return logins


def ensure_user(username, password, groups, **fields):
    user, _created = get_user_model().objects.get_or_create(username=username)
    for name, value in fields.items():
        setattr(user, name, value)
    user.email = f"{username}@example.org"
    user.set_password(password)
    user.save()
    user.groups.add(*groups)
    return user


# Digitization: a plan per demo fonds, a batch, scanned land documents ----------------------------


def seed_digitization(archives, scans_per_archive):
    """Plans for every demo fonds; ``scans_per_archive`` land documents scanned into demo batches."""
    stored = 0
    priority = list(Category.objects.filter(slug__in=PRIORITY_CATEGORY_SLUGS))
    for holding in demo_data.HOLDINGS:
        archive = archives[holding.slug]
        for fonds in Fonds.objects.filter(archive=archive):
            ensure_plan(fonds, priority)
        stored += scan_land_documents(archive, scans_per_archive)
    return stored


def ensure_plan(fonds, priority):
    documents = Document.objects.filter(file__fonds=fonds)
    totals = documents.aggregate(pages=Sum("page_count"), count=Count("id"))
    # Demo documents carry no page counts: plan three pages a document, as a survey would estimate.
    pages = totals["pages"] or totals["count"] * DEMO_PAGES_PER_DOCUMENT
    plan, created = DigitizationPlan.objects.get_or_create(
        fonds=fonds,
        defaults={
            "archive": fonds.archive,
            "pages_planned": max(pages, 1),
            "notes": "Kế hoạch minh họa: tài liệu đất đai và dự án đầu tư được số hóa trước.",
        },
    )
    if created:
        plan.priority_categories.set(priority)
    return plan


def scan_land_documents(archive, wanted):
    """Scan land documents of the archive not yet scanned, as 2-page PDFs of Vietnamese text."""
    already = DigitalObject.objects.filter(archive=archive, batch__name=DEMO_BATCH_NAME).count()
    documents = (
        Document.objects.filter(
            archive=archive, file__categories__slug="dat-dai", digital_objects__isnull=True
        )
        .select_related("file__fonds__digitization_plan", "archive")
        .order_by("id")[: max(wanted - already, 0)]
    )
    stored = 0
    for document in documents:
        plan = document.file.fonds.digitization_plan
        batch, _created = DigitizationBatch.objects.get_or_create(plan=plan, name=DEMO_BATCH_NAME)
        pages = [f"{document.citation}\n{samples.sample_text(3, offset=page)}" for page in range(2)]
        content = io.BytesIO(samples.pdf_scan(pages, dpi=DEMO_SCAN_DPI))
        result = ingest_scan_file(content, f"{document.doc_id}.pdf", document, batch=batch)
        stored += result.stored
    return stored
