from django.urls import path

from campaigns import views

app_name = "campaigns"

urlpatterns = [
    path("", views.campaign_list, name="list"),
    path("campaigns/<str:campaign_id>/", views.campaign_detail, name="detail"),
    path("campaigns/<str:campaign_id>/upload/", views.grid_upload, name="grid_upload"),
    path("campaigns/<str:campaign_id>/pull/", views.grid_pull, name="grid_pull"),
    path("campaigns/<str:campaign_id>/empty/", views.grid_empty, name="grid_empty"),
    path("grids/<int:grid_id>/", views.grid_detail, name="grid_detail"),
    path("grids/<int:grid_id>/mapping/", views.grid_mapping, name="grid_mapping"),
]
