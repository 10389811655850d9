"""The interface speaks the language a user chose, wherever they log in."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import translation

from campaigns.services.accounts import user_language


class UserLanguageMiddleware:
    """After authentication: a logged-in user's own choice wins over the browser's language
    (LocaleMiddleware decided from the cookie and Accept-Language before the user was known)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            chosen = user_language(user=request.user, session=request.session)
            if chosen:
                translation.activate(chosen)
                request.LANGUAGE_CODE = chosen
        return self.get_response(request)
