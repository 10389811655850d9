from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from campaigns.api.endpoints import api_urls
from campaigns.views.accounts import health, language_set, log_in

urlpatterns = [
    path("accounts/login/", log_in, name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/setlang/", language_set, name="set_language"),
    path("healthz", health, name="health"),
    path("admin/", admin.site.urls),
    path("api/v1/", api_urls()),
    path("", include("campaigns.urls")),
]
