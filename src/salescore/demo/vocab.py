"""The words of the demo organisation in each locale: regions, teams, titles, products, reasons.

Codes that analytics filter on stay the same in every locale (segment, channel, activity outcome);
what a person reads in a CRM export is localized (names, regions, industries, products, lost
reasons, courses, comments).

>>> vocabulary("zh_CN").regions[:3]
('华东', '华北', '华南')
>>> vocabulary("en").currency
'EUR'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import assert_never

from salescore.core.text import Locale, is_chinese


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """Every localized word the generator writes."""

    faker_locale: str
    currency: str
    timezone: str
    organisation: str
    email_domain: str
    root_team: str
    regions: tuple[str, ...]
    region_suffix: str
    focus_labels: dict[str, str]
    sales_department: str
    field_department: str
    inside_department: str
    titles: dict[str, str]
    industries: tuple[str, ...]
    industry_words: tuple[str, ...]
    company_suffixes: tuple[str, ...]
    products: tuple[str, ...]
    lost_early: tuple[str, ...]
    lost_late: tuple[str, ...]
    courses: dict[str, tuple[str, ...]]
    survey_comments: tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]  # low, mid, high
    review_comments: tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]
    plan_reason: str  # formatted with {year}
    region_cities: tuple[tuple[str, ...], ...] = ()  # per region; names a Chinese company

    def team_name(self, region: str, focus: str, number: int) -> str:
        label = self.focus_labels[focus]
        if is_chinese(self.faker_locale):
            return f"{region}{label}{number}组"
        return f"{region} {label} {number}"


INDUSTRY_WEIGHTS = (0.20, 0.14, 0.12, 0.10, 0.14, 0.09, 0.06, 0.07, 0.08)

_EN = Vocabulary(
    faker_locale="en_GB",
    currency="EUR",
    timezone="Europe/Berlin",
    organisation="Northwind Analytics GmbH",
    email_domain="northwind.example",
    root_team="Sales",
    regions=("DACH", "Nordics", "Benelux", "France", "UK & Ireland", "Southern Europe",
             "Central & Eastern Europe"),
    region_suffix=" Region",
    focus_labels={"smb": "SMB", "mid_market": "Mid-Market", "enterprise": "Enterprise"},
    sales_department="Sales",
    field_department="Field Sales",
    inside_department="Inside Sales",
    titles={"vp": "VP Sales", "director": "Regional Director", "manager": "Sales Manager",
            "seller": "Account Executive", "senior": "Senior Account Executive",
            "inside": "Inside Sales Representative"},
    industries=("Manufacturing", "Retail", "Financial Services", "Healthcare", "Technology",
                "Logistics", "Energy", "Education", "Public Sector"),
    industry_words=("Industries", "Retail", "Capital", "Health", "Systems", "Logistics",
                    "Energy", "Learning", "Services"),
    company_suffixes=("Ltd", "GmbH", "AG", "BV", "SAS", "plc", "Group", "& Co", "SE", "Holding"),
    products=("Starter", "Professional", "Enterprise", "Analytics add-on",
              "Implementation services"),
    lost_early=("No budget", "No decision", "Bad timing", "Not a fit"),
    lost_late=("Price", "Chose a competitor", "Legal or procurement", "Project cancelled"),
    courses={
        "elearning": ("Product fundamentals", "Data privacy basics", "CRM hygiene"),
        "workshop": ("Objection handling workshop", "Value selling workshop"),
        "coaching": ("1:1 deal coaching", "Negotiation coaching"),
        "vr_simulation": ("VR negotiation simulation", "VR discovery call simulation"),
        "ar_demo": ("AR product demo training",),
    },
    survey_comments=(
        ("Slow to respond.", "Promises were not kept.", "Hard to reach our contact.",
         "Felt pushed into the deal."),
        ("OK overall.", "Fine, nothing special.", "Answers took a while.",
         "Good product, average service."),
        ("Very responsive and helpful.", "Understood our needs quickly.",
         "Great advice, thank you!", "Smooth and professional."),
    ),
    review_comments=(
        ("Rarely shares information.", "Hard to get time with.", "Works alone."),
        ("Helpful when asked.", "Reliable teammate.", "Communicates when needed."),
        ("Always ready to help.", "Shares leads and know-how generously.",
         "Great team player."),
    ),
    plan_reason="Annual plan {year}",
)

_ZH = Vocabulary(
    faker_locale="zh_CN",
    currency="CNY",
    timezone="Asia/Shanghai",
    organisation="北辰数智科技有限公司",
    email_domain="beichen.example",
    root_team="销售中心",
    regions=("华东", "华北", "华南", "华中", "西南", "西北", "东北"),
    region_suffix="大区",
    focus_labels={"smb": "中小客户", "mid_market": "中型客户", "enterprise": "大客户"},
    sales_department="销售部",
    field_department="直销部",
    inside_department="电销部",
    titles={"vp": "销售副总裁", "director": "大区总监", "manager": "销售经理",
            "seller": "客户经理", "senior": "高级客户经理", "inside": "电话销售代表"},
    industries=("制造业", "零售", "金融", "医疗健康", "互联网科技", "物流", "能源", "教育",
                "政府及公共事业"),
    industry_words=("精密制造", "商贸", "金融服务", "医疗科技", "信息技术", "物流", "能源",
                    "教育科技", "公共服务"),
    company_suffixes=("有限公司", "股份有限公司", "集团有限公司"),
    products=("标准版", "专业版", "旗舰版", "数据分析模块", "实施服务"),
    lost_early=("没有预算", "未做决策", "时机不成熟", "需求不匹配"),
    lost_late=("价格过高", "选择了竞争对手", "法务或采购受阻", "项目取消"),
    courses={
        "elearning": ("产品基础", "数据隐私基础", "CRM 规范录入"),
        "workshop": ("异议处理工作坊", "价值销售工作坊"),
        "coaching": ("一对一商机辅导", "谈判辅导"),
        "vr_simulation": ("VR 谈判模拟", "VR 需求挖掘模拟"),
        "ar_demo": ("AR 产品演示培训",),
    },
    survey_comments=(
        ("回复太慢。", "承诺没有兑现。", "联系不上对接人。", "感觉被催着签单。"),
        ("总体还行。", "一般，没有特别之处。", "答复有点慢。", "产品不错，服务一般。"),
        ("响应很快，非常专业。", "很快理解了我们的需求。", "建议很有帮助，谢谢！", "合作顺畅。"),
    ),
    review_comments=(
        ("很少分享信息。", "很难约到时间。", "习惯单打独斗。"),
        ("有需要时愿意帮忙。", "靠谱的同事。", "沟通及时。"),
        ("总是乐于助人。", "经常分享线索和经验。", "团队合作典范。"),
    ),
    plan_reason="{year} 年度计划",
    region_cities=(
        ("上海", "杭州", "南京", "苏州", "宁波", "合肥", "济南", "青岛", "福州", "厦门", "无锡"),
        ("北京", "天津", "石家庄", "太原", "呼和浩特", "唐山", "保定"),
        ("广州", "深圳", "东莞", "佛山", "南宁", "海口", "珠海"),
        ("武汉", "长沙", "郑州", "南昌", "宜昌", "洛阳"),
        ("成都", "重庆", "昆明", "贵阳", "绵阳"),
        ("西安", "兰州", "银川", "西宁", "乌鲁木齐"),
        ("沈阳", "大连", "长春", "哈尔滨", "吉林"),
    ),
)


def vocabulary(locale: Locale) -> Vocabulary:
    """The words for ``locale``."""
    match locale:
        case "en":
            return _EN
        case "zh_CN":
            return _ZH
        case _:
            assert_never(locale)
