"""How one subject's score came about, line by line: plain data, no numpy or pandas (a
stored score is explained from it without them)."""

from __future__ import annotations

from dataclasses import dataclass

from salescore.core.text import is_chinese

__all__ = ["Explanation", "LineExplanation"]


@dataclass(frozen=True)
class LineExplanation:
    """One line of a score: what was measured, against what, and what it earned."""

    kpi: str
    direction: str
    method: str
    target_source: str | None
    status: str
    value: float | None
    target: float | None
    attainment: float | None
    points: float | None
    weight: float
    effective_weight: float | None
    contribution: float | None

    def status_text(self, locale: str = "en") -> str:
        """The line's status as a person reads it: ``no data`` (``无数据``) where the KPI's
        inputs are all unknown or absent, ``no target``, or ``ok``.

        >>> LineExplanation("csat_avg", "higher", "linear", None, "no_data", None, None, None,
        ...                 None, 1.0, None, None).status_text("zh_CN")
        '无数据'
        """
        words = _ZH_WORDS if is_chinese(locale) else _EN_WORDS
        return words.get(self.status, self.status)


@dataclass(frozen=True)
class Explanation:
    """How one subject's score came about; the lines' contributions, the team part and the
    credit add up to the score."""

    subject: str
    team_id: str | None
    plan: str
    period: str
    status: str
    score: float | None
    rating: str | None
    individual_score: float | None
    individual_share: float | None
    team_score: float | None
    team_share: float | None
    team_part: float | None
    credit: float | None
    rank_in_team: int | None
    rank_in_company: int | None
    lines: tuple[LineExplanation, ...]

    def render(self, locale: str = "en") -> str:
        """The explanation as an indented plain-text tree (the CLI draws the same with Rich)."""
        w = _ZH_WORDS if is_chinese(locale) else _EN_WORDS

        def num(x: float | None, digits: int = 1) -> str:
            return "—" if x is None else f"{x:.{digits}f}"

        where = f"{self.subject} · {self.plan} · {self.period}: "
        if self.status != "ok":
            return where + w["no_score"]
        out = [where + w["head"].format(score=num(self.score), rating=self.rating or "—")]
        if self.rank_in_team is not None:
            out.append("  " + w["ranks"].format(team=self.rank_in_team,
                                                company=self.rank_in_company))
        elif self.rank_in_company is not None:
            out.append("  " + w["rank"].format(company=self.rank_in_company))
        out.append("  " + w["individual"].format(score=num(self.individual_score),
                                                 share=num(self.individual_share, 2)))
        for line in self.lines:
            if line.status == "ok":
                attained = None if line.attainment is None else 100 * line.attainment
                detail = w["line"].format(value=num(line.value, 2), target=num(line.target, 2),
                                          attainment=num(attained), points=num(line.points))
            else:
                detail = w[line.status]
            out.append(f"    {line.kpi}: {detail}; " + w["weight"].format(
                weight=num(line.effective_weight, 3), contribution=num(line.contribution, 2)))
        if self.team_share:
            out.append("  " + w["team"].format(score=num(self.team_score),
                                               share=num(self.team_share, 2),
                                               part=num(self.team_part, 2)))
        if self.credit:
            out.append("  " + w["credit"].format(credit=num(self.credit, 2)))
        return "\n".join(out)


_EN_WORDS = {
    "head": "score {score} (rating {rating})",
    "no_score": "no score (too little data)",
    "ranks": "rank {team} in team, {company} in company",
    "rank": "rank {company}",
    "individual": "individual {score} × {share}",
    "line": "value {value}, target {target}, attainment {attainment} %, points {points}",
    "weight": "weight {weight} → {contribution}",
    "team": "team {score} × {share} → {part}",
    "credit": "collaboration credit → {credit}",
    "no_data": "no data",
    "no_target": "no target",
    "ok": "ok",
}
_ZH_WORDS = {
    "head": "得分 {score}（评级 {rating}）",
    "no_score": "无得分（数据不足）",
    "ranks": "团队内第 {team} 名，全公司第 {company} 名",
    "rank": "第 {company} 名",
    "individual": "个人得分 {score} × {share}",
    "line": "实际 {value}，目标 {target}，达成率 {attainment}%，得分 {points}",
    "weight": "权重 {weight} → {contribution}",
    "team": "团队得分 {score} × {share} → {part}",
    "credit": "协作加分 → {credit}",
    "no_data": "无数据",
    "no_target": "无目标",
    "ok": "正常",
}
