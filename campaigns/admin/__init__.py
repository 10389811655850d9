"""The admin: what administrators keep (field lists, retention holds, users, their roles and
access, Thulium systems, do-not-contact lists), and what nobody changes (the audit log, sent
grids, the scheduler's record). One module a concern: audited (what every audited page shares),
campaigns, accounts, systems, privacy.

Every change made here is an audit entry with its before → after (ChangesAudited), made in the
admin's own transaction. Powers are bounded by campaigns/services/powers.py: only a superuser
grants staff or superuser status or raw permissions; an Administrator gives the product's roles
and never changes their own rights. Sent grids, their sendings, requests and Thulium's answers
are evidence: no deletion here takes them, directly or by cascade.
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy

# Each module registers its pages when it is imported.
from campaigns.admin import accounts, campaigns, privacy, systems  # noqa: F401

admin.site.site_header = gettext_lazy("Campaign dashboard: administration")
admin.site.site_title = gettext_lazy("Campaign dashboard")
