from django.urls import path

from campaigns.views import (
    accounts,
    campaigns,
    editing,
    grid,
    group_fixes,
    history,
    imports,
    intake,
    privacy,
    sending,
)

app_name = "campaigns"

urlpatterns = [
    path("", campaigns.campaign_list, name="list"),
    path("campaigns/<str:system>/<str:campaign_id>/", campaigns.campaign_detail, name="detail"),
    path(
        "campaigns/<str:system>/<str:campaign_id>/charts/",
        campaigns.campaign_charts,
        name="campaign_charts",
    ),
    path(
        "campaigns/<str:system>/<str:campaign_id>/figures/",
        campaigns.campaign_figures,
        name="campaign_figures",
    ),
    path("history/", history.history, name="history"),
    path("history/phone/<str:phone>/", history.phone_history, name="phone_history"),
    path("privacy/person/", privacy.person_request, name="person_request"),
    path("imports/", imports.import_list, name="imports"),
    path("account/tokens/", accounts.api_tokens, name="api_tokens"),
    path(
        "account/tokens/<int:token_id>/revoke/",
        accounts.api_token_revoke_view,
        name="api_token_revoke",
    ),
    path("imports/<int:import_id>/", imports.import_detail, name="import_detail"),
    path(
        "campaigns/<str:system>/<str:campaign_id>/upload/", intake.grid_upload, name="grid_upload"
    ),
    path("campaigns/<str:system>/<str:campaign_id>/pull/", intake.grid_pull, name="grid_pull"),
    path("campaigns/<str:system>/<str:campaign_id>/empty/", intake.grid_empty, name="grid_empty"),
    path(
        "campaigns/<str:system>/<str:campaign_id>/template.xlsx",
        campaigns.campaign_template,
        name="campaign_template",
    ),
    path("grids/<int:grid_id>/mapping/", intake.grid_mapping, name="grid_mapping"),
    path("grids/<int:grid_id>/listing/", intake.grid_listing, name="grid_listing"),
    path("grids/<int:grid_id>/", grid.grid_detail, name="grid_detail"),
    path("grids/<int:grid_id>/problems/fix/", group_fixes.group_fix, name="grid_group_fix"),
    path(
        "grids/<int:grid_id>/value-rules/<int:rule_id>/forget/",
        group_fixes.value_rule_forget_view,
        name="grid_value_rule_forget",
    ),
    path("grids/<int:grid_id>/redo/", editing.redo, name="grid_redo"),
    path("grids/<int:grid_id>/rows/add/", editing.rows_add, name="grid_rows_add"),
    path("grids/<int:grid_id>/rows/delete/", editing.rows_delete, name="grid_rows_delete"),
    path("grids/<int:grid_id>/bulk/", editing.bulk_set, name="grid_bulk"),
    path("grids/<int:grid_id>/paste/", editing.paste, name="grid_paste"),
    path("grids/<int:grid_id>/replace/", editing.find_replace, name="grid_replace"),
    path("grids/<int:grid_id>/undo/", editing.undo, name="grid_undo"),
    path("grids/<int:grid_id>/columns/", editing.column_remap, name="grid_column_remap"),
    path("grids/<int:grid_id>/review/", sending.grid_review_view, name="grid_review"),
    path(
        "grids/<int:grid_id>/review/progress/",
        sending.grid_read_progress,
        name="grid_read_progress",
    ),
    path("grids/<int:grid_id>/options/", sending.grid_sending_options, name="grid_options"),
    path("grids/<int:grid_id>/send/", sending.grid_send, name="grid_send"),
    path("grids/<int:grid_id>/compare/", grid.grid_compare_view, name="grid_compare"),
    path("grids/<int:grid_id>/export/", grid.grid_export_view, name="grid_export"),
    path("grids/<int:grid_id>/progress/", sending.grid_progress, name="grid_progress"),
    path(
        "grids/<int:grid_id>/submissions/<int:submission_id>/cancel/",
        sending.submission_stop,
        name="submission_cancel",
    ),
    path(
        "grids/<int:grid_id>/submissions/<int:submission_id>/revert/",
        sending.submission_revert_view,
        name="submission_revert",
    ),
    path("grids/<int:grid_id>/revert/", sending.grid_revert_view, name="grid_revert"),
    # A row's addresses nest under its own: the grid page reverses one per row and appends.
    path("grids/<int:grid_id>/rows/<int:row_id>/", grid.row_view, name="row"),
    path(
        "grids/<int:grid_id>/rows/<int:row_id>/payload/",
        grid.row_payload_view,
        name="row_payload",
    ),
    path("grids/<int:grid_id>/rows/<int:row_id>/edit/", editing.row_edit, name="row_edit"),
    path("grids/<int:grid_id>/rows/<int:row_id>/cell/", editing.cell_edit, name="cell_edit"),
    path(
        "grids/<int:grid_id>/rows/<int:row_id>/cell/full/",
        grid.cell_full_view,
        name="cell_full",
    ),
    path(
        "grids/<int:grid_id>/rows/<int:row_id>/cell/save/",
        editing.cell_save,
        name="cell_save",
    ),
]
