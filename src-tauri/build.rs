//! Declares the app's own commands to Tauri's ACL, so each must be granted
//! to a window by a capability (capabilities/default.json) before the
//! webview can call it.

const COMMANDS: &[&str] = &[
    "app_info",
    "set_preferences",
    "time_zones",
    "event_get",
    "event_save",
    "event_new",
    "event_open",
    "pick_event_file",
    "races_list",
    "race_save",
    "race_remove",
    "age_groups_preview",
    "pick_roster_file",
    "roster_check",
    "roster_import",
    "roster_cancel",
    "roster_page",
    "entrant_get",
    "entrant_save",
    "desk_search",
    "desk_check_in",
    "desk_undo",
    "desk_group",
    "desk_group_check_in",
    "desk_suggest_bib",
    "desk_walk_up",
    "desk_counts",
    "desk_missing",
    "desk_export_missing",
    "timing_overview",
    "timing_start",
    "timing_undo_start",
    "timing_rehearsal",
    "timing_capture",
    "timing_assign",
    "timing_reads",
    "timing_pairs",
    "timing_cross",
    "timing_insert_time",
    "timing_insert_bib",
    "timing_drop_bib",
    "backup_interval",
    "results_page",
    "results_latest",
    "results_export",
    "results_print",
    "event_open_copy",
    "pick_results_folder",
    "timing_correct",
    "timing_insert",
    "timing_status",
    "timing_history",
    "backup_now",
    "pick_backup_folder",
];

fn main() {
    let manifest = tauri_build::AppManifest::new().commands(COMMANDS);
    if let Err(e) = tauri_build::try_build(tauri_build::Attributes::new().app_manifest(manifest)) {
        panic!("tauri build step failed: {e:#}");
    }
}
