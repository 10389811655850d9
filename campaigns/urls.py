from django.urls import path

from campaigns import grid_views, history_views, views

app_name = "campaigns"

urlpatterns = [
    path("", views.campaign_list, name="list"),
    path("campaigns/<str:campaign_id>/", views.campaign_detail, name="detail"),
    path("campaigns/<str:campaign_id>/charts/", views.campaign_charts, name="campaign_charts"),
    path("history/", history_views.history, name="history"),
    path("history/phone/<str:phone>/", history_views.phone_history, name="phone_history"),
    path("campaigns/<str:campaign_id>/upload/", views.grid_upload, name="grid_upload"),
    path("campaigns/<str:campaign_id>/pull/", views.grid_pull, name="grid_pull"),
    path("campaigns/<str:campaign_id>/empty/", views.grid_empty, name="grid_empty"),
    path(
        "campaigns/<str:campaign_id>/template.xlsx",
        grid_views.campaign_template,
        name="campaign_template",
    ),
    path("grids/<int:grid_id>/mapping/", views.grid_mapping, name="grid_mapping"),
    path("grids/<int:grid_id>/", grid_views.grid_detail, name="grid_detail"),
    path("grids/<int:grid_id>/problems/fix/", grid_views.group_fix, name="grid_group_fix"),
    path(
        "grids/<int:grid_id>/value-rules/<int:rule_id>/forget/",
        grid_views.value_rule_forget_view,
        name="grid_value_rule_forget",
    ),
    path("grids/<int:grid_id>/redo/", grid_views.redo, name="grid_redo"),
    path("grids/<int:grid_id>/rows/add/", grid_views.rows_add, name="grid_rows_add"),
    path("grids/<int:grid_id>/rows/delete/", grid_views.rows_delete, name="grid_rows_delete"),
    path("grids/<int:grid_id>/bulk/", grid_views.bulk_set, name="grid_bulk"),
    path("grids/<int:grid_id>/paste/", grid_views.paste, name="grid_paste"),
    path("grids/<int:grid_id>/undo/", grid_views.undo, name="grid_undo"),
    path("grids/<int:grid_id>/columns/", grid_views.column_remap, name="grid_column_remap"),
    path("grids/<int:grid_id>/review/", grid_views.grid_review_view, name="grid_review"),
    path(
        "grids/<int:grid_id>/review/progress/",
        grid_views.grid_read_progress,
        name="grid_read_progress",
    ),
    path("grids/<int:grid_id>/options/", grid_views.grid_sending_options, name="grid_options"),
    path("grids/<int:grid_id>/send/", grid_views.grid_send, name="grid_send"),
    path("grids/<int:grid_id>/compare/", grid_views.grid_compare_view, name="grid_compare"),
    path("grids/<int:grid_id>/export/", grid_views.grid_export_view, name="grid_export"),
    path("grids/<int:grid_id>/progress/", grid_views.grid_progress, name="grid_progress"),
    path(
        "grids/<int:grid_id>/submissions/<int:submission_id>/cancel/",
        grid_views.submission_stop,
        name="submission_cancel",
    ),
    path(
        "grids/<int:grid_id>/submissions/<int:submission_id>/revert/",
        grid_views.submission_revert_view,
        name="submission_revert",
    ),
    # A row's addresses nest under its own: the grid page reverses one per row and appends.
    path("grids/<int:grid_id>/rows/<int:row_id>/", grid_views.row_view, name="row"),
    path(
        "grids/<int:grid_id>/rows/<int:row_id>/payload/",
        grid_views.row_payload_view,
        name="row_payload",
    ),
    path("grids/<int:grid_id>/rows/<int:row_id>/edit/", grid_views.row_edit, name="row_edit"),
    path("grids/<int:grid_id>/rows/<int:row_id>/cell/", grid_views.cell_edit, name="cell_edit"),
    path(
        "grids/<int:grid_id>/rows/<int:row_id>/cell/save/",
        grid_views.cell_save,
        name="cell_save",
    ),
]
