"""The dashboard: its sections for one date range, and every table it can export."""

from collections.abc import Callable
from datetime import date

from .base import Section, Table
from .channels import Channels
from .donations import Donations
from .followers import Followers
from .most_read import MostRead
from .online_giving import OnlineGiving
from .pushes import Pushes
from .ranked import Rankings
from .reading import PageViews
from .signups import Signups
from .wechat import WeChatReads


class Dashboard(Section):
    """Every section of the dashboard from `start` to `end` (both included, Asia/Shanghai)."""

    def __init__(self, *, start: date, end: date):
        super().__init__(start=start, end=end)
        self.page_views = PageViews(start=start, end=end)
        self.most_read = MostRead(views=self.page_views)
        self.rankings = Rankings(views=self.page_views)
        self.signups = Signups(start=start, end=end)
        self.donations = Donations(start=start, end=end)
        self.pushes = Pushes(start=start, end=end)
        self.wechat = WeChatReads(start=start, end=end)
        self.followers = Followers(start=start, end=end)
        self.channels = Channels(start=start, end=end)
        self.online_giving = OnlineGiving(start=start, end=end)


# Every exportable table, by the slug in its export URL.
TABLES: dict[str, Callable[[Dashboard], Table]] = {
    "views-by-day": lambda board: board.page_views.views_by_day(),
    "category-views-by-day": lambda board: board.page_views.category_views_by_day(),
    "department-views-by-day": lambda board: board.page_views.department_views_by_day(),
    "modules-ranked": lambda board: board.rankings.modules_ranked(),
    "categories-ranked": lambda board: board.rankings.categories_ranked(),
    "departments-ranked": lambda board: board.rankings.departments_ranked(),
    "top-7-days": lambda board: board.most_read.top_7_days(),
    "top-30-days": lambda board: board.most_read.top_30_days(),
    "signups-by-day": lambda board: board.signups.signups_by_day(),
    "attendance": lambda board: board.signups.attendance(),
    "donations-by-day": lambda board: board.donations.donations_by_day(),
    "donations-by-project": lambda board: board.donations.donations_by_project(),
    "pushes": lambda board: board.pushes.pushes(),
    "wechat-by-push": lambda board: board.wechat.wechat_by_push(),
    "wechat-source-by-day": lambda board: board.wechat.wechat_source_by_day(),
    "wechat-by-source": lambda board: board.wechat.wechat_by_source(),
    "followers-by-day": lambda board: board.followers.followers_by_day(),
    "channel-followers-by-day": lambda board: board.channels.channel_followers_by_day(),
    "channels-ranked": lambda board: board.channels.channels_ranked(),
    "online-by-project": lambda board: board.online_giving.online_by_project(),
    "online-by-channel": lambda board: board.online_giving.online_by_channel(),
    "online-by-day": lambda board: board.online_giving.online_by_day(),
}

# Online giving's tables: only for those who may see online orders (ONLINE_GIVING_PERMISSION).
ONLINE_GIVING_TABLES = ("online-by-project", "online-by-channel", "online-by-day")
ONLINE_GIVING_PERMISSION = "payments.view_onlineorder"
