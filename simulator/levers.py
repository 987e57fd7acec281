"""The policy levers and the uncertain assumptions behind their effects, each declared once.

Sliders, the lever table (``simulator levers``), ``scenarios/README.md``, scenario validation and
the model's effect parameters are all generated from :data:`LEVERS`. Nothing else in the project
retypes a range, a default or a source.

Every number here is either sourced (the ``source`` text names the publisher and date; the URL
is in ``calibration/data/lever_history.csv`` or the reference list in ``docs/model.md``) or marked
``assumption:`` with the reasoning. An effect size is an :class:`Assumption` with a low, central
and high value; the engine samples it from a triangular distribution on ``[low, high]`` with
its mode at ``central``, so its uncertainty flows into every projection.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal


@dataclass(frozen=True)
class Assumption:
    """An uncertain number the model needs and the data cannot pin down.

    Sampled as ``Triangular(low, central, high)``. ``low == high`` makes it fixed.
    """

    name: str
    label: str
    unit: str
    low: float
    central: float
    high: float
    source: str
    bounds: tuple[float, float]
    """Widest values a user may set in an override (a scenario file or the app's panel)."""

    def __post_init__(self) -> None:
        if not (self.bounds[0] <= self.low <= self.central <= self.high <= self.bounds[1]):
            raise ValueError(f"{self.name}: need bounds[0] <= low <= central <= high <= bounds[1]")


@dataclass(frozen=True)
class Constant:
    """A fixed modelling constant: stated, sourced or labelled, but not sampled."""

    name: str
    label: str
    value: float
    unit: str
    source: str


@dataclass(frozen=True)
class Lever:
    """A policy lever: something a government or the industry can set.

    ``default`` is current policy: the value the baseline holds from the first projection
    year on. ``history`` says where the values over the calibration years come from.
    """

    name: str
    label: str
    group: str
    unit: str
    default: float
    min: float
    max: float
    step: float
    direction: Literal[1, -1]
    """+1 when raising the lever raises exports, -1 when it lowers them."""
    default_source: str
    effect: str
    """The effect in plain words, with its lag."""
    lag_years: int
    history: str
    assumptions: tuple[Assumption, ...]
    constants: tuple[Constant, ...] = field(default=())
    reference_points: tuple[tuple[str, float], ...] = field(default=())
    """Named values worth marking on a slider (the 2024 firewall episode, the 2021 funding peak)."""
    whole: bool = False
    """A count (zones): the level a scenario sets (a value, a slider, a link) must be whole; 40.5
    zones is a mistake. A year-by-year path (``values:``) may hold part-counts: a year's value is
    its average, as a ramp's years are (23 to 60 zones over five years passes 37.8)."""

    def __post_init__(self) -> None:
        if not (self.min <= self.default <= self.max):
            raise ValueError(f"{self.name}: default outside [min, max]")

    @property
    def range_text(self) -> str:
        return f"{_fmt(self.min)} to {_fmt(self.max)} {self.unit}"

    def constant(self, name: str) -> float:
        for c in self.constants:
            if c.name == name:
                return c.value
        raise KeyError(name)


def _fmt(x: float) -> str:
    return f"{x:g}"


LEVERS: tuple[Lever, ...] = (
    Lever(
        name="tech_zones",
        label="Special Technology Zones",
        group="Technology zones",
        unit="zones",
        default=23,
        min=0,
        max=60,
        step=1,
        direction=1,
        default_source=(
            "MoITT FY2025 review (19 July 2025): 23 Special Technology Zones, hosting over 18,000 "
            "professionals. The lever counts zones notified by STZA (cumulative, at the end of each "
            "fiscal year) throughout: 5 by June 2022, 12 before the August 2024 notification of four "
            "more, 23 by June 2025; current policy notifies no further zone."
        ),
        effect=(
            "Each zone adds net export earnings (US$ m a year), phased in over three years "
            "(a third in the year it is notified, two thirds the next, all of it the year after)."
        ),
        lag_years=2,
        history=(
            "calibration/data/lever_history.csv (zones notified by STZA at the end of each fiscal year: "
            "0 until FY2021, 5 in FY2022 and FY2023, 12 in FY2024, 23 in FY2025)"
        ),
        assumptions=(
            Assumption(
                name="tech_zones.exports_per_zone",
                label="Net exports per zone at maturity",
                unit="US$ m a year",
                low=2,
                central=6,
                high=20,
                bounds=(0, 100),
                source=(
                    "derived: MoITT counted over 18,000 professionals in 23 notified zones (July "
                    "2025). ICT exports per tech worker are $6,350-12,700 (FY2025 exports of $3.81B "
                    "over 300,000-600,000 workers); assumption: half of zone activity is new rather "
                    "than moved from elsewhere. Per notified zone that is 18,000 / 23 = 783 "
                    "professionals, or $2.5-5.0M (783 x $6,350-12,700 x 0.5). This parameter is per "
                    "zone at full effect, and 11 of the 23 zones were notified during FY2025 and "
                    "count a third (the phase-in below): FY2025 had (5 + 12 + 23) / 3 = 13.3 zones "
                    "at full effect, 1,350 professionals each, or $4.3-8.6M. The central $6M lies "
                    "inside that range and is kept (the August 2024 count, over 15,000 in 12 zones, "
                    "gave $4.0-7.9M per notified zone). The low end allows less new activity; the "
                    "high end zones that attract new export-oriented firms. STZA's claim of $350M a "
                    "year from the four zones notified in August 2024 (about $87M each) is an "
                    "unverified projection and lies outside the range."
                ),
            ),
        ),
        constants=(
            Constant(
                name="phase_in_years",
                label="Years for a zone to reach full effect",
                value=3,
                unit="years",
                source="assumption: build-out and tenant fill take about three years (STZA expects "
                "developer investment to be spent over 2-4 years, Aug 2024)",
            ),
        ),
        reference_points=(("FY2024 (12 notified)", 12), ("STZA 2022 plan (16)", 16)),
        whole=True,
    ),
    Lever(
        name="formal_channel_share",
        label="Freelance earnings through formal channels",
        group="Freelancer payments",
        unit="% of freelance and remote-work earnings",
        default=50,
        min=20,
        max=100,
        step=5,
        direction=1,
        default_source=(
            "assumption: no official estimate exists. Freelancers keep part of their earnings in "
            "Payoneer or Wise balances abroad, in crypto, or send it through informal channels "
            "(PayPal is unavailable; a Payoneer route opened in January 2024). Half is a "
            "midpoint, not a measurement."
        ),
        effect=(
            "Reported exports count only the freelance earnings that arrive through banks. "
            "Moving the share from its current value x0 to x multiplies reported exports by "
            "1 + f (x / x0 - 1), where f is formal freelance receipts as a share of reported "
            "ICT exports. Same year."
        ),
        lag_years=0,
        history="held at the default over the calibration years: there is no series",
        assumptions=(
            Assumption(
                name="formal_channel_share.freelance_share",
                label="Formal freelance receipts, share of reported exports",
                unit="% of reported ICT exports",
                low=10,
                central=15,
                high=25,
                bounds=(0, 50),
                source=(
                    "MoITT (2022): freelancer export remittances of $397M in FY2022 were 14.77% of "
                    "ICT export remittances; MoITT's FY2025 review reports $779M of freelancing and "
                    "remote-work earnings (about 20% of $3.81B) without saying how much of it is in "
                    "the ICT figure."
                ),
            ),
        ),
        reference_points=(("fully formal", 100),),
    ),
    Lever(
        name="retention_limit",
        label="Export proceeds retained in foreign currency",
        group="Freelancer payments",
        unit="% of export proceeds",
        default=50,
        min=35,
        max=100,
        step=5,
        direction=1,
        default_source=(
            "SBP (24 October 2023): retention limit in exporters' special foreign-currency "
            "accounts raised from 35% to 50%."
        ),
        effect=(
            "Exporters keep part of their earnings abroad when retained foreign currency is "
            "capped. Each 10 percentage points of retention raises reported exports by a fixed "
            "percentage, the same year."
        ),
        lag_years=0,
        history="calibration/data/lever_history.csv (35% until FY2023, 45% in FY2024, 50% in FY2025)",
        assumptions=(
            Assumption(
                name="retention_limit.effect_per_10pp",
                label="Reported exports gained per 10 points of retention",
                unit="% of exports",
                low=0,
                central=1,
                high=5,
                bounds=(0, 20),
                source=(
                    "assumption: the November 2023 export strategy (PSEB with PwC) claimed +$1B "
                    "from dollar retention on a $2.6B base, about +6% per 10 points if retention "
                    "went from 35% to 100%; that claim is taken as near the upper bound. The rise "
                    "from 35% to 50% in FY2024 coincided with +24% growth, which cannot be "
                    "separated from everything else that year."
                ),
            ),
        ),
        reference_points=(("before Oct 2023", 35),),
    ),
    Lever(
        name="connectivity_loss",
        label="Working time lost to shutdowns and slowdowns",
        group="Connectivity",
        unit="% of working time",
        default=1.3,
        min=0,
        max=15,
        step=0.1,
        direction=-1,
        default_source=(
            "assumption: the average of the FY2023-FY2025 estimates in the lever history (0.3%, "
            "0.1% and 3.4%), i.e. current policy keeps shutdowns and slowdowns at their recent "
            "average rate."
        ),
        effect=(
            "Lost working time lowers underlying export earnings in the same year, by the "
            "elasticity times the points of time lost; the loss ends when the drag ends."
        ),
        lag_years=0,
        history=(
            "calibration/data/lever_history.csv (0 until FY2022; 3.4% in FY2025, "
            "the 2024 firewall and cable slowdown)"
        ),
        assumptions=(
            Assumption(
                name="connectivity_loss.elasticity",
                label="Exports lost per point of working time lost",
                unit="% of exports per % of time",
                low=0.5,
                central=1.0,
                high=2.5,
                bounds=(0, 5),
                source=(
                    "assumption: lost working time is lost billable output one for one (1.0); "
                    "less when work moves to other hours, more when clients leave (P@SHA survey: "
                    "99% of firms disrupted; MNCs weighed relocation). P@SHA's estimate of up to "
                    "$300M lost in the 2024 episode (7.9% of FY2025 exports) against 3.4% of time "
                    "lost implies about 2.3, taken as near the upper bound."
                ),
            ),
        ),
        reference_points=(("2024 firewall episode (FY2025)", 3.4), ("no drag", 0)),
    ),
    Lever(
        name="vc_funding",
        label="Startup and venture funding",
        group="Venture capital",
        unit="US$ m a year",
        default=74,
        min=0,
        max=1000,
        step=1,
        direction=1,
        default_source=(
            "i2i Capital Landscape Brief 2024-2025 (early 2026): $74M raised by startups in 2025 in "
            "16 deals, 89% of it in hybrid equity-debt rounds ($34M in 2024). The lever counts i2i's "
            "total of announced rounds, equity and debt, in every year of its history; "
            "equity-only trackers give less (Data Darbar: $22.5M in 2024)."
        ),
        effect=(
            "Funding builds a stock of startup capital (20% of it used up each year); two years "
            "after it is raised, each dollar of that stock yields export earnings."
        ),
        lag_years=2,
        history=(
            "calibration/data/lever_history.csv (i2i calendar-year totals, 2013-2025; $350M in 2021; "
            "2018 and 2019 from other trackers, no i2i total found)"
        ),
        assumptions=(
            Assumption(
                name="vc_funding.export_yield",
                label="Annual exports per dollar of startup capital",
                unit="US$ per US$",
                low=0.02,
                central=0.1,
                high=0.2,
                bounds=(0, 2),
                source=(
                    "assumption: most funded Pakistani startups sell at home. E-commerce, fintech and "
                    "health took $81.4M of the $102.7M raised in Q2 2022 (79%, i2i) and fintech $52M "
                    "of $60.2M in Q2 2025 (86%, i2i); 14 of the 386 startups the National Incubation "
                    "Centres supported reached international markets (MoITT, Aug 2025). If at most "
                    "a fifth of the capital sits in export-oriented firms, each earning at most its "
                    "capital in exports a year, the yield is at most 0.2. The high end was 0.4 until "
                    "this review: 0.4 x the $722M of startup capital counted in FY2025 (funding to "
                    "2022, 20% a year used up) credited startups with $289M, 7.6% of FY2025 exports; "
                    "at 0.2 it is $144M "
                    "(3.8%), at the central 0.1 $72M (1.9%). The 2023 export strategy's claim that "
                    "a $1B startup fund adds $1B of exports (a yield of 1) is far above this range."
                ),
            ),
        ),
        constants=(
            Constant(
                name="depreciation",
                label="Share of startup capital used up each year",
                value=0.2,
                unit="per year",
                source="assumption: a funding round is spent over about five years",
            ),
        ),
        reference_points=(("2021 peak", 350), ("2024", 34)),
    ),
    Lever(
        name="talent_pipeline",
        label="IT graduates and certified entrants",
        group="Talent pipeline",
        unit="thousand a year",
        default=73,
        min=25,
        max=300,
        step=1,
        direction=1,
        default_source="P@SHA Skills Survey 2025 (NCEAC data): 72,952 CS/IT graduates in 2024.",
        effect=(
            "Extra entrants, of whom a share is absorbed by the export sector, join its "
            "workforce a year later and leave at 5% a year; exports rise with the workforce "
            "by the elasticity."
        ),
        lag_years=1,
        history=(
            "held at the default over the calibration years: published counts (25,000 to 75,000 "
            "a year) differ by definition, not by year"
        ),
        assumptions=(
            Assumption(
                name="talent_pipeline.absorption",
                label="Share of extra entrants the export sector absorbs",
                unit="share",
                low=0.05,
                central=0.15,
                high=0.3,
                bounds=(0, 1),
                source=(
                    "MoITT (2024): fewer than 10% of graduates employable in export firms; P@SHA "
                    "(2025): 18.3% absorbed by P@SHA members; caretaker IT minister (Oct 2023): "
                    "2,500-3,000 of 75,000 immediately hireable (about 4%)."
                ),
            ),
            Assumption(
                name="talent_pipeline.elasticity",
                label="Exports gained per % of export workforce",
                unit="% per %",
                low=0.5,
                central=0.8,
                high=1.0,
                bounds=(0, 1.5),
                source=(
                    "assumption: services exports scale close to one for one with skilled "
                    "headcount at constant productivity; below one because the marginal workers "
                    "are less experienced."
                ),
            ),
        ),
        constants=(
            Constant(
                name="workforce_thousand",
                label="Export-sector IT workforce (FY2025)",
                value=600,
                unit="thousand",
                source="press (Dawn op-ed, Dec 2024): more than 0.6 million employed by tech companies "
                "(the World Bank counted more than 300,000 IT professionals in 2021)",
            ),
            Constant(
                name="attrition",
                label="Share of the workforce leaving each year",
                value=0.05,
                unit="per year",
                source="assumption: retirement, career change and emigration",
            ),
        ),
        reference_points=(("1.5M certified over 5 years (MoITT plan)", 300),),
    ),
)

LEVER_BY_NAME: dict[str, Lever] = {lv.name: lv for lv in LEVERS}
ASSUMPTIONS: tuple[Assumption, ...] = tuple(a for lv in LEVERS for a in lv.assumptions)
ASSUMPTION_BY_NAME: dict[str, Assumption] = {a.name: a for a in ASSUMPTIONS}
LEVER_NAMES: tuple[str, ...] = tuple(LEVER_BY_NAME)
