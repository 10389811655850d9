"""Thin views, by what the person is doing: authenticate, call one service, choose the response.

Every page works as a plain form post; htmx only picks partials."""
