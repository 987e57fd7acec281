"""Load and validate the curated data files in ``calibration/data``.

Three files, each validated row by row; a bad row raises :class:`~simulator.errors.InputError`
naming the file, the line and the field:

``observations.csv``
    Reported ICT-services exports (US$ m): full fiscal years, year-to-date periods and single
    months, every vintage that was published. :func:`latest_vintages` picks the figure each
    period is represented by (see its docstring for the rule).
``targets.csv``
    Official and industry targets and projections, one row per statement. Outcomes are not
    stored: they are read from the observations.
``lever_history.csv``
    Values of the policy levers over the calibration years, each with its basis.

Pakistan's fiscal year runs July to June and is named by the calendar year it ends in:
FY2025 is July 2024 to June 2025.
"""

from __future__ import annotations

import calendar
import csv
import hashlib
import io
import itertools
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from simulator import resources
from simulator.errors import InputError
from simulator.levers import LEVER_BY_NAME

DEFAULT_DATA_DIR = resources.data_dir()

OBSERVATIONS_FILE = "observations.csv"
TARGETS_FILE = "targets.csv"
LEVER_HISTORY_FILE = "lever_history.csv"

SOURCE_RANK = {"PBS": 0, "SBP": 0, "MoITT": 1, "PSEB": 1, "MoF": 1}
"""Tie-break between figures published on the same date: statistics offices first."""

# Sane ranges of the data files' cells. They catch typos and non-numbers (``inf``, ``nan``,
# ``1e300``), not unusual but real figures: they are bounds on what a row can mean, not model
# parameters.
FISCAL_YEARS = (1948, 2100)
"""Fiscal years a row may be about (observations, targets' deadlines, lever history): from
Pakistan's first fiscal year (July 1947 to June 1948) to 2100."""
MAX_MUSD = 1_000_000.0
"""Largest amount a row may state, US$ m (US$1 trillion): over 250 times the FY2025 figure
(3,810) and 30 times the largest target stated (30,000); it stops ``1e300``, not a real figure."""
FIRST_PUBLICATION = date(1947, 8, 14)
"""Earliest publication date a row may give; the latest is today (:func:`load_dataset`)."""

MIN_FULL_YEARS = 3
"""Full fiscal years the model needs: two increments, so that the size of the yearly shocks has
at least one degree of freedom (see :func:`require_full_years`)."""

CONFIRMED_MARKER = "confirmed:"
"""A full-year row whose note starts with this is exempt from the jump check
(:func:`check_full_year_jumps`): the curator has checked the figure against its source."""
JUMP_FACTOR = 2.0
"""A full-year figure is refused when its yearly change from a neighbouring year, in log points,
is more than this many times the largest yearly change between the other full years on record."""


# --------------------------------------------------------------------------- value types


@dataclass(frozen=True, order=True)
class YearMonth:
    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> YearMonth:
        m = re.fullmatch(r"(\d{4})-(\d{2})", text.strip())
        if not m or not 1 <= int(m.group(2)) <= 12:
            raise ValueError("must be a month written YYYY-MM")
        return cls(int(m.group(1)), int(m.group(2)))

    @property
    def fiscal_year(self) -> int:
        return self.year + 1 if self.month >= 7 else self.year

    @property
    def fiscal_month(self) -> int:
        """1 for July ... 12 for June."""
        return (self.month - 7) % 12 + 1

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


@dataclass(frozen=True)
class PartialDate:
    """A publication date known to the day, the month or only the year."""

    text: str
    first_day: date

    @classmethod
    def parse(cls, text: str) -> PartialDate:
        t = text.strip()
        for pattern, build in (
            (r"(\d{4})-(\d{2})-(\d{2})", lambda m: date(int(m[1]), int(m[2]), int(m[3]))),
            (r"(\d{4})-(\d{2})", lambda m: date(int(m[1]), int(m[2]), 1)),
            (r"(\d{4})", lambda m: date(int(m[1]), 1, 1)),
        ):
            m = re.fullmatch(pattern, t)
            if m:
                try:
                    return cls(t, build(m))
                except ValueError:
                    break
        raise ValueError("must be a date written YYYY-MM-DD, YYYY-MM or YYYY")

    @property
    def last_day(self) -> date:
        """The last day the date can mean: the day itself, the end of the month or of the year."""
        d = self.first_day
        if len(self.text) == 4:
            return date(d.year, 12, 31)
        if len(self.text) == 7:
            return date(d.year, d.month, calendar.monthrange(d.year, d.month)[1])
        return d

    def __str__(self) -> str:
        return self.text


def optional_date(v: object) -> PartialDate | None:
    if v is None or (isinstance(v, str) and not v.strip()):
        return None
    if isinstance(v, PartialDate):
        return v
    return PartialDate.parse(str(v))


def check_slug(v: str) -> str:
    if not re.fullmatch(r"[a-z0-9_]+", v):
        raise ValueError("must use lower-case letters, digits and underscores only")
    return v


def check_published(v: PartialDate | None) -> PartialDate | None:
    """A publication date no earlier than :data:`FIRST_PUBLICATION` (the future is refused on
    loading, against an injectable today)."""
    if v is not None and v.first_day < FIRST_PUBLICATION:
        raise ValueError(f"must be a date from {FIRST_PUBLICATION.isoformat()} (independence) on")
    return v


def check_amount(v: float) -> float:
    """An amount in US$ millions: a finite number above 0 and at most :data:`MAX_MUSD`."""
    if not math.isfinite(v):
        raise ValueError("must be a finite number (an amount in US$ millions)")
    if not v > 0:
        raise ValueError("must be a positive amount in US$ millions")
    if v > MAX_MUSD:
        raise ValueError(f"is larger than any plausible figure (at most {MAX_MUSD:,.0f} US$ m)")
    return v


def check_fiscal_year(v: int) -> int:
    lo, hi = FISCAL_YEARS
    if not lo <= v <= hi:
        raise ValueError(f"must be a fiscal year between {lo} and {hi}")
    return v


def check_url(v: str) -> str:
    v = v.strip()
    if not re.match(r"https?://\S+$", v):
        raise ValueError("must be a web address starting with http:// or https://")
    return v


# --------------------------------------------------------------------------- row models


class CsvRow(BaseModel):
    """Base of a validated CSV row: unknown columns are refused; subclasses declare the columns.

    :func:`read_rows` fills in ``line``; a validator that needs to blame one field raises
    :class:`FieldError` so the error names it.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)

    line: int = 0
    """Line in the file (1-based, header is line 1); filled in by the loader."""


class Observation(CsvRow):
    """One published figure. Ranges: ``fiscal_year`` in :data:`FISCAL_YEARS`; ``value_musd``
    finite, above 0, at most :data:`MAX_MUSD`; ``published`` from :data:`FIRST_PUBLICATION` to
    today; a full-year figure within the jump limit (:func:`check_full_year_jumps`)."""

    period_start: YearMonth
    period_end: YearMonth
    fiscal_year: int
    value_musd: float
    definition: Literal["ict_services"]
    published: PartialDate | None
    source_org: str
    url: str
    note: str = ""
    status: Literal["", "conflict", "lower_bound"] = ""
    """Empty for a measurement. ``conflict``: a figure set aside by the source-conflict rule;
    ``lower_bound``: printed as "more than". Either is kept for the record and never used as a
    value or a vintage (:attr:`is_value`)."""

    _ym = field_validator("period_start", "period_end", mode="before")(
        lambda v: v if isinstance(v, YearMonth) else YearMonth.parse(str(v))
    )
    _pub = field_validator("published", mode="before")(optional_date)
    _pub_range = field_validator("published")(check_published)
    _url = field_validator("url")(check_url)
    _amount = field_validator("value_musd")(check_amount)
    _fy = field_validator("fiscal_year")(check_fiscal_year)

    @field_validator("source_org")
    @classmethod
    def _nonempty(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("must name the publishing organisation")
        return v.strip()

    @model_validator(mode="after")
    def _period(self) -> Observation:
        s, e = self.period_start, self.period_end
        if e < s:
            raise FieldError("period_end", str(e), "must not be before period_start")
        if s.fiscal_year != e.fiscal_year:
            raise FieldError("period_end", str(e), "the period must lie within one fiscal year (July-June)")
        if s != e and s.month != 7:
            raise FieldError(
                "period_start", str(s), "a period longer than a month must start in July (year to date)"
            )
        if self.fiscal_year != e.fiscal_year:
            raise FieldError(
                "fiscal_year", self.fiscal_year, f"does not match the period (FY{e.fiscal_year})"
            )
        if self.published is not None and self.published.first_day < date(e.year, e.month, 1):
            raise FieldError("published", str(self.published), "is before the end of the period")
        return self

    @property
    def is_value(self) -> bool:
        """True for a measurement the vintage rule may use; False for a row set aside (``status``)."""
        return not self.status

    @property
    def months(self) -> int:
        return self.period_end.fiscal_month - self.period_start.fiscal_month + 1

    @property
    def confirmed(self) -> bool:
        """The curator marked the figure as checked (note starting with :data:`CONFIRMED_MARKER`)."""
        return self.note.strip().lower().startswith(CONFIRMED_MARKER)

    @property
    def is_full_year(self) -> bool:
        return self.period_start.month == 7 and self.period_end.month == 6

    @property
    def is_year_to_date(self) -> bool:
        return self.period_start.month == 7

    @property
    def period_label(self) -> str:
        if self.is_full_year:
            return f"FY{self.fiscal_year}"
        if self.period_start == self.period_end:
            return f"{_MONTHS[self.period_end.month - 1]} {self.period_end.year}"
        return f"Jul-{_MONTHS[self.period_end.month - 1]} FY{self.fiscal_year}"


_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


class Target(CsvRow):
    """One stated target. Ranges: ``amount_musd`` finite, above 0, at most :data:`MAX_MUSD`;
    ``deadline_fy`` in :data:`FISCAL_YEARS` or empty; ``said_on`` from :data:`FIRST_PUBLICATION`
    to today."""

    id: str
    amount_musd: float
    deadline_fy: int | None
    deadline_as_stated: str
    kind: Literal["target", "projection", "blueprint", "aspiration"]
    who: str
    role: str
    said_on: PartialDate | None
    covers: str
    url: str
    note: str = ""

    _said = field_validator("said_on", mode="before")(optional_date)
    _said_range = field_validator("said_on")(check_published)
    _url = field_validator("url")(check_url)
    _slug = field_validator("id")(check_slug)
    _amount = field_validator("amount_musd")(check_amount)

    @field_validator("deadline_fy", mode="before")
    @classmethod
    def _deadline(cls, v: object) -> object:
        if v is None or (isinstance(v, str) and not v.strip()):
            return None
        return v

    @field_validator("deadline_fy")
    @classmethod
    def _fy(cls, v: int | None) -> int | None:
        return check_fiscal_year(v) if v is not None else None

    @property
    def label(self) -> str:
        amount = f"${self.amount_musd / 1000:g}B"
        return f"{amount} by FY{self.deadline_fy}" if self.deadline_fy else f"{amount} (no deadline)"


class LeverValue(CsvRow):
    """A lever's value in one year. Ranges: ``fiscal_year`` in :data:`FISCAL_YEARS`; ``value``
    finite and within the lever's declared range; ``published`` from :data:`FIRST_PUBLICATION`
    to today."""

    lever: str
    fiscal_year: int
    value: float
    basis: Literal["reported", "derived", "assumption"]
    source_org: str
    published: PartialDate | None
    url: str
    note: str

    _pub = field_validator("published", mode="before")(optional_date)
    _pub_range = field_validator("published")(check_published)
    _fy = field_validator("fiscal_year")(check_fiscal_year)

    @field_validator("value")
    @classmethod
    def _finite(cls, v: float) -> float:
        if not math.isfinite(v):
            raise ValueError("must be a finite number")
        return v

    @field_validator("lever")
    @classmethod
    def _known(cls, v: str) -> str:
        if v not in LEVER_BY_NAME:
            raise ValueError("is not a declared lever")
        return v

    @field_validator("url")
    @classmethod
    def _url_or_empty(cls, v: str) -> str:
        return check_url(v) if v.strip() else ""

    @model_validator(mode="after")
    def _consistent(self) -> LeverValue:
        lever = LEVER_BY_NAME[self.lever]
        if not lever.min <= self.value <= lever.max:
            raise FieldError("value", self.value, f"is outside the lever's range ({lever.range_text})")
        if self.basis != "assumption" and not self.url:
            raise FieldError("url", "", f"a {self.basis} value needs the address of its source")
        if self.basis != "reported" and not self.note.strip():
            raise FieldError("note", "", f"a {self.basis} value needs a note saying how it was obtained")
        return self


class FieldError(ValueError):
    """Raised inside a model validator to point at one field."""

    def __init__(self, field: str, value: object, problem: str):
        super().__init__(problem)
        self.field, self.value, self.problem = field, value, problem


# --------------------------------------------------------------------------- loading


def read_rows(path: Path, model: type[CsvRow]) -> list:
    """Read a UTF-8 CSV file into validated ``model`` rows; the first problem is an InputError
    naming the file, the line and the field."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError("file not found", file=path) from None
    except OSError as exc:
        raise InputError(f"cannot read the file: {exc.strerror or exc}", file=path) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError("is not valid UTF-8 text", file=path, line=line) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise InputError("the file is empty; expected a header row", file=path) from None
    expected = [f for f in model.model_fields if f != "line"]
    required = [f for f in expected if model.model_fields[f].is_required()]
    unknown = [h for h in header if h not in expected]
    if unknown:
        raise InputError("unknown column", file=path, line=1, field=unknown[0], allowed=", ".join(expected))
    missing = [f for f in required if f not in header]
    if missing:
        raise InputError("missing column", file=path, line=1, field=missing[0], allowed=", ".join(expected))
    rows = []
    for cells in reader:
        line = reader.line_num
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            raise InputError(f"has {len(cells)} cells but the header has {len(header)}", file=path, line=line)
        record = dict(zip(header, cells, strict=True))
        try:
            rows.append(model(line=line, **record))
        except ValidationError as exc:
            raise _to_input_error(exc, path, line, record) from None
    return rows


def _to_input_error(exc: ValidationError, path: Path, line: int, record: dict) -> InputError:
    err = exc.errors()[0]
    ctx_error = err.get("ctx", {}).get("error")
    if isinstance(ctx_error, FieldError):
        return InputError(
            ctx_error.problem, file=path, line=line, field=ctx_error.field, value=ctx_error.value
        )
    field = ".".join(str(p) for p in err["loc"]) or None
    value = record.get(field) if field else None
    msg = err["msg"].removeprefix("Value error, ")
    allowed = None
    if err["type"] == "literal_error":
        allowed = err["ctx"]["expected"]
        msg = "is not one of the allowed values"
    return InputError(msg, file=path, line=line, field=field, value=value, allowed=allowed)


@dataclass(frozen=True)
class Dataset:
    """Everything the model reads from ``calibration/data``, validated."""

    observations: tuple[Observation, ...]
    targets: tuple[Target, ...]
    lever_history: tuple[LeverValue, ...]
    directory: Path
    sha256: str
    """Hash over the three files' bytes, recorded with the fitted parameters and every output."""

    @property
    def last_full_year(self) -> int:
        return max(y for y, _ in annual_series(self.observations))

    def until(self, fiscal_year: int) -> Dataset:
        """The data as if nothing after ``fiscal_year`` had happened (latest vintages kept)."""
        digest = hashlib.sha256(f"{self.sha256}:until:{fiscal_year}".encode()).hexdigest()
        return Dataset(
            tuple(o for o in self.observations if o.fiscal_year <= fiscal_year),
            self.targets,
            tuple(r for r in self.lever_history if r.fiscal_year <= fiscal_year),
            self.directory,
            digest,
        )

    def as_of(self, day: date) -> Dataset:
        """The export figures a forecaster could have seen at the end of ``day``: only rows known by
        then (:func:`known_dates`), so every period shows the vintage that was current. Lever rows
        are kept for the fiscal years before the one ``day`` falls in: they record values, not
        vintages. Targets are kept (the fit does not read them)."""
        cutoff = YearMonth(day.year, day.month).fiscal_year
        known = known_dates(self.observations)
        digest = hashlib.sha256(f"{self.sha256}:as_of:{day.isoformat()}".encode()).hexdigest()
        return Dataset(
            tuple(o for o, k in zip(self.observations, known, strict=True) if k <= day),
            self.targets,
            tuple(r for r in self.lever_history if r.fiscal_year < cutoff),
            self.directory,
            digest,
        )

    def target(self, target_id: str) -> Target:
        for t in self.targets:
            if t.id == target_id:
                return t
        raise KeyError(target_id)


def load_dataset(directory: str | Path | None = None, *, today: date | None = None) -> Dataset:
    """Load and validate the three data files in ``directory`` (default: the bundled data).

    Beyond each row's own checks: no publication date after ``today`` (default:
    ``date.today()``), at least :data:`MIN_FULL_YEARS` full fiscal years, and no full-year
    figure beyond the jump limit (:func:`check_full_year_jumps`).
    """
    d = Path(directory) if directory is not None else DEFAULT_DATA_DIR
    today = today if today is not None else date.today()
    obs = read_rows(d / OBSERVATIONS_FILE, Observation)
    targets = read_rows(d / TARGETS_FILE, Target)
    levers = read_rows(d / LEVER_HISTORY_FILE, LeverValue)
    _check_not_after(d / OBSERVATIONS_FILE, obs, "published", today)
    _check_not_after(d / TARGETS_FILE, targets, "said_on", today)
    _check_not_after(d / LEVER_HISTORY_FILE, levers, "published", today)
    _check_unique(d / TARGETS_FILE, targets, lambda t: t.id, "id")
    _check_unique(d / LEVER_HISTORY_FILE, levers, lambda r: (r.lever, r.fiscal_year), "fiscal_year")
    _check_unique(
        d / OBSERVATIONS_FILE,
        obs,
        lambda o: (o.period_start, o.period_end, o.value_musd, o.source_org, str(o.published)),
        "value_musd",
    )
    require_full_years(obs, file=d / OBSERVATIONS_FILE)
    check_full_year_jumps(obs, file=d / OBSERVATIONS_FILE)
    _check_lever_years(d / LEVER_HISTORY_FILE, levers)
    digest = hashlib.sha256()
    for name in (OBSERVATIONS_FILE, TARGETS_FILE, LEVER_HISTORY_FILE):
        digest.update(name.encode())
        digest.update((d / name).read_bytes())
    return Dataset(tuple(obs), tuple(targets), tuple(levers), d, digest.hexdigest())


def require_full_years(
    observations: Iterable[Observation],
    *,
    file: Path | None = None,
    field: str | None = None,
    value: object = None,
) -> None:
    """The one rule for how much data the model needs: :data:`MIN_FULL_YEARS` full fiscal years.

    Raises an :class:`InputError` (blaming ``file``, or ``field`` and ``value``: the fit's
    ``--until``) saying how many there are.
    """
    years = [y for y, _ in annual_series(observations)]
    if len(years) >= MIN_FULL_YEARS:
        return
    found = f"only {', '.join(f'FY{y}' for y in years)}" if years else "none"
    raise InputError(
        f"the model needs at least {MIN_FULL_YEARS} full fiscal years of exports "
        f"(to fit the trend and the size of its yearly shocks); found {found}",
        file=file,
        field=field,
        value=value,
    )


def _check_not_after(path: Path, rows: Iterable, field: str, today: date) -> None:
    for r in rows:
        d = getattr(r, field)
        if d is not None and d.first_day > today:
            raise InputError(
                f"is after today ({today.isoformat()}); a figure cannot be published in the future",
                file=path,
                line=r.line,
                field=field,
                value=str(d),
            )


@dataclass(frozen=True)
class YearStep:
    """The change between two full fiscal years, per year: ``rate`` in log points a year."""

    first: int
    last: int
    rate: float

    @property
    def factor(self) -> float:
        return math.exp(self.rate)


def _steps(series: dict[int, float]) -> list[YearStep]:
    ys = sorted(series)
    return [YearStep(a, b, abs(math.log(series[b] / series[a])) / (b - a)) for a, b in itertools.pairwise(ys)]


def check_full_year_jumps(observations: Sequence[Observation], *, file: Path | None = None) -> None:
    """Refuse a full-year figure that jumps beyond any growth on record (a typo such as 38100 for 3810).

    The limit comes from the data, leaving out the year being checked so that a bad figure
    cannot raise its own bar: take the full-year series (latest vintage of each year) without
    that year, and its largest yearly change between neighbouring years in absolute log points
    (the FY2020-FY2021 rise, x1.46, in the bundled data). A figure of that year (any vintage)
    whose yearly change from either neighbouring year is more than :data:`JUMP_FACTOR` times
    that, in log points, is over the limit (about x2.1 or /2.1 in one year with the bundled data;
    the largest genuine change, FY2021, is within it). A bad figure also inflates its neighbours'
    limits, so of the figures over their limit the one furthest over it is named; rows whose
    note starts with :data:`CONFIRMED_MARKER`, and changes to them, are exempt.

    Changes are compared per year, so a figure far from its neighbours in time is checked
    loosely: FY2010, six years before the next full year, could be off by a factor of ten
    unnoticed. Its source row says it is an isolated anchor.
    """
    latest_rows = dict(annual_series(observations))
    latest = {y: o.value_musd for y, o in latest_rows.items()}
    worst: tuple[float, Observation, int, YearStep, YearStep] | None = None
    for o in observations:
        if not o.is_full_year or o.confirmed:
            continue
        others = {y: v for y, v in latest.items() if y != o.fiscal_year}
        steps = _steps(others)
        if not steps:
            continue
        record = max(steps, key=lambda s: s.rate)
        earlier = [y for y in others if y < o.fiscal_year]
        later = [y for y in others if y > o.fiscal_year]
        for y in ([max(earlier)] if earlier else []) + ([min(later)] if later else []):
            if latest_rows[y].confirmed:
                continue  # the change to a confirmed figure is confirmed too
            step = _steps({y: others[y], o.fiscal_year: o.value_musd})[0]
            score = step.rate / record.rate if record.rate > 0 else math.inf
            if score > JUMP_FACTOR and (worst is None or score > worst[0]):
                worst = (score, o, y, step, record)
    if worst is None:
        return
    _, o, y, step, record = worst
    neighbour = latest[y]
    raise InputError(
        f"FY{o.fiscal_year} at {o.value_musd:,.6g} is {_times(o.value_musd / neighbour)} FY{y}'s "
        f"{neighbour:,.6g}{_per_year(step)}, a change beyond the limit of "
        f"x{math.exp(JUMP_FACTOR * record.rate):.2f} a year: the largest yearly change between the other "
        f"full years on record (x{record.factor:.2f}, FY{record.first}-FY{record.last}) "
        f"{_power(JUMP_FACTOR)}. Correct the figure, or if it is right start its note with "
        f"'{CONFIRMED_MARKER}'",
        file=file,
        line=o.line,
        field="value_musd",
    )


def _per_year(step: YearStep) -> str:
    gap = step.last - step.first
    return f" (x{step.factor:.2f} a year over {gap} years)" if gap > 1 else ""


def _power(k: float) -> str:
    return "squared" if k == 2 else f"to the power {k:g}"


def _times(ratio: float) -> str:
    return f"{ratio:.3g} times" if ratio >= 1 else f"1/{1 / ratio:.3g} of"


def _check_unique(path: Path, rows: Iterable, key, field: str) -> None:
    seen: dict = {}
    for r in rows:
        k = key(r)
        if k in seen:
            raise InputError(
                f"duplicates line {seen[k]}", file=path, line=r.line, field=field, value=getattr(r, field)
            )
        seen[k] = r.line


def _check_lever_years(path: Path, rows: list[LeverValue]) -> None:
    by_lever: dict[str, list[LeverValue]] = {}
    for r in rows:
        by_lever.setdefault(r.lever, []).append(r)
    for name, rs in by_lever.items():
        years = sorted(r.fiscal_year for r in rs)
        gaps = sorted(set(range(years[0], years[-1] + 1)) - set(years))
        if gaps:
            last = max(rs, key=lambda r: r.fiscal_year)
            raise InputError(
                f"lever {name} has no value for FY{gaps[0]}; "
                "give every fiscal year between its first and last",
                file=path,
                line=last.line,
                field="fiscal_year",
            )


# --------------------------------------------------------------------------- vintages and series


class Printed(Protocol):
    """A figure as printed: who published it, when, and where it sits in its file."""

    @property
    def published(self) -> PartialDate | None: ...
    @property
    def source_org(self) -> str: ...
    @property
    def line(self) -> int: ...


def vintage_key(o: Printed) -> tuple[int, int, int]:
    """Sort key: the figure with the largest key represents its period.

    1. A dated figure beats an undated one; a later publication date beats an earlier one
       (a date known only to the month or year counts as the first day of that month or year).
    2. On the same date, a statistics office (PBS, SBP) beats a ministry, which beats the press.
    3. Still tied: the row further down the file wins, so a curator records a revision by
       adding it below the figure it revises.
    """
    published = o.published.first_day.toordinal() if o.published else -1
    rank = -SOURCE_RANK.get(o.source_org, 2)
    return (published, rank, o.line)


def latest_vintages(observations: Iterable[Observation]) -> dict[tuple[YearMonth, YearMonth], Observation]:
    """The figure that represents each period: its latest vintage (see :func:`vintage_key`).

    Rows set aside by their ``status`` (a source conflict, a lower bound) never represent a period.
    """
    best: dict[tuple[YearMonth, YearMonth], Observation] = {}
    for o in observations:
        if not o.is_value:
            continue
        k = (o.period_start, o.period_end)
        if k not in best or vintage_key(o) > vintage_key(best[k]):
            best[k] = o
    return best


UNDATED_LAG_MONTHS = 1
"""An undated page counts as published at the end of this many months after the latest period it
reports: SBP and PBS release a month's figures two to three weeks after the month ends."""


def known_dates(observations: Iterable[Observation]) -> list[date]:
    """The day from which each figure counts as known, for views of the data as of a date.

    A dated figure: the last day its date can mean (``2021-01`` is 31 January 2021), so a view
    never sees a figure before it was out. An undated figure: the date of a dated figure on the
    same page (same address) if there is one; otherwise the end of the month
    :data:`UNDATED_LAG_MONTHS` after the latest period the page reports (a page cannot be older
    than its newest figure).
    """
    obs = list(observations)
    page_date: dict[str, date] = {}
    page_end: dict[str, YearMonth] = {}
    for o in obs:
        if o.published is not None:
            page_date[o.url] = max(page_date.get(o.url, date.min), o.published.last_day)
        page_end[o.url] = max(page_end.get(o.url, o.period_end), o.period_end)
    out = []
    for o in obs:
        if o.published is not None:
            out.append(o.published.last_day)
        elif o.url in page_date:
            out.append(page_date[o.url])
        else:
            end = page_end[o.url]
            months = end.year * 12 + end.month - 1 + UNDATED_LAG_MONTHS
            y, m = divmod(months, 12)
            out.append(date(y, m + 1, calendar.monthrange(y, m + 1)[1]))
    return out


def annual_series(observations: Iterable[Observation]) -> list[tuple[int, Observation]]:
    """Full fiscal years, latest vintage, sorted by year."""
    latest = latest_vintages(observations)
    return sorted((o.fiscal_year, o) for o in latest.values() if o.is_full_year)


def year_to_date(observations: Iterable[Observation]) -> dict[int, dict[int, float]]:
    """Cumulative exports from July through fiscal month ``m`` (1 = July), per fiscal year.

    A reported year-to-date figure (latest vintage) is used where there is one; otherwise the
    sum of single months from July when every month up to ``m`` is reported.
    """
    latest = latest_vintages(observations)
    ytd: dict[int, dict[int, float]] = {}
    months: dict[int, dict[int, float]] = {}
    for o in latest.values():
        if o.is_year_to_date:
            ytd.setdefault(o.fiscal_year, {})[o.months] = o.value_musd
        if o.period_start == o.period_end:
            months.setdefault(o.fiscal_year, {})[o.period_end.fiscal_month] = o.value_musd
    for fy, ms in months.items():
        total = 0.0
        for m in range(1, 13):
            if m not in ms:
                break
            total += ms[m]
            ytd.setdefault(fy, {}).setdefault(m, total)
    return ytd


def revision_pairs(observations: Iterable[Observation]) -> list[tuple[Observation, Observation]]:
    """(first print, latest print) for every period with two or more dated vintages.

    Rows set aside by their ``status`` are not vintages: a source conflict is not a revision.
    """
    groups: dict[tuple[YearMonth, YearMonth], list[Observation]] = {}
    for o in observations:
        if o.published is not None and o.is_value:
            groups.setdefault((o.period_start, o.period_end), []).append(o)
    pairs = []
    for g in groups.values():
        g.sort(key=vintage_key)
        first, latest = g[0].published, g[-1].published
        if len(g) >= 2 and first is not None and latest is not None and first.first_day < latest.first_day:
            pairs.append((g[0], g[-1]))
    return pairs


def lever_history_table(rows: Iterable[LeverValue]) -> dict[str, dict[int, float]]:
    """{lever: {fiscal_year: value}} from the lever-history rows."""
    out: dict[str, dict[int, float]] = {}
    for r in rows:
        out.setdefault(r.lever, {})[r.fiscal_year] = r.value
    return out


def lever_history_paths(rows: Iterable[LeverValue], years: Iterable[int]) -> dict[str, list[float]]:
    """Every declared lever over ``years``: its recorded values where there are some; before the
    first record, the first value; after the last record, the lever's default (current policy),
    so that a newly added year of exports needs no new lever row to be fitted and projected."""
    table = lever_history_table(rows)
    years = list(years)
    out: dict[str, list[float]] = {}
    for name, lever in LEVER_BY_NAME.items():
        values = table.get(name, {})
        if not values:
            out[name] = [float(lever.default)] * len(years)
            continue
        first, last = min(values), max(values)
        out[name] = [
            values[first] if y < first else values[y] if y <= last else float(lever.default) for y in years
        ]
    return out


def first_history_year(rows: Iterable[LeverValue]) -> int | None:
    years = [r.fiscal_year for r in rows]
    return min(years) if years else None
