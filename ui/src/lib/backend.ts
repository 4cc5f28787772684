// The one way the UI talks to the racedesk core. Components receive a
// Backend and never import @tauri-apps/api themselves, so UI logic can be
// tested with a fake one.
import { Channel, invoke } from "@tauri-apps/api/core";
import { listen } from "@tauri-apps/api/event";
import type { Change } from "./bindings/Change";
import type { AppInfo } from "./bindings/AppInfo";
import type { Counts } from "./bindings/Counts";
import type { Found } from "./bindings/Found";
import type { GroupOutcome } from "./bindings/GroupOutcome";
import type { Merged } from "./bindings/Merged";
import type { NetworkState } from "./bindings/NetworkState";
import type { StationOffset } from "./bindings/StationOffset";
import type { FoundHub } from "./bindings/FoundHub";
import type { MissingPage } from "./bindings/MissingPage";
import type { Outcome } from "./bindings/Outcome";
import type { Capture } from "./bindings/Capture";
import type { Crossing } from "./bindings/Crossing";
import type { Pair } from "./bindings/Pair";
import type { Finisher } from "./bindings/Finisher";
import type { ResultsFilter } from "./bindings/ResultsFilter";
import type { ResultsView } from "./bindings/ResultsView";
import type { RaceOnCourse } from "./bindings/RaceOnCourse";
import type { Site } from "./bindings/Site";
import type { RaceLeaders } from "./bindings/RaceLeaders";
import type { Coming } from "./bindings/Coming";
import type { PrintOut } from "./bindings/PrintOut";
import type { HistoryEntry } from "./bindings/HistoryEntry";
import type { Read } from "./bindings/Read";
import type { TimingOverview } from "./bindings/TimingOverview";
import type { EntrantForm } from "./bindings/EntrantForm";
import type { EventForm } from "./bindings/EventForm";
import type { ImportProgress } from "./bindings/ImportProgress";
import type { ImportReport } from "./bindings/ImportReport";
import type { ImportRequest } from "./bindings/ImportRequest";
import type { Preferences } from "./bindings/Preferences";
import type { DecoderForm } from "./bindings/DecoderForm";
import type { DecoderView } from "./bindings/DecoderView";
import type { RaceForm } from "./bindings/RaceForm";
import type { RaceView } from "./bindings/RaceView";
import type { RosterLine } from "./bindings/RosterLine";
import type { TablePage } from "./bindings/TablePage";
import type { TableQuery } from "./bindings/TableQuery";

export interface Backend {
  appInfo(): Promise<AppInfo>;
  setPreferences(preferences: Preferences): Promise<void>;
  timeZones(): Promise<string[]>;
  eventGet(): Promise<EventForm>;
  eventSave(form: EventForm): Promise<void>;
  eventNew(path: string, form: EventForm): Promise<void>;
  eventOpen(path: string): Promise<void>;
  pickEventFile(isNew: boolean): Promise<string | null>;
  racesList(): Promise<RaceView[]>;
  raceSave(code: string | null, form: RaceForm): Promise<void>;
  raceRemove(code: string): Promise<void>;
  ageGroupsPreview(spec: string): Promise<string[]>;
  pickRosterFile(): Promise<string | null>;
  rosterCheck(request: ImportRequest): Promise<ImportReport>;
  rosterImport(request: ImportRequest, onProgress: (p: ImportProgress) => void): Promise<ImportReport>;
  rosterCancel(): Promise<void>;
  rosterPage(query: TableQuery): Promise<TablePage>;
  entrantGet(bib: string): Promise<EntrantForm>;
  entrantSave(bib: string | null, form: EntrantForm): Promise<RosterLine>;
  deskSearch(query: string, limit: number): Promise<Found[]>;
  deskCheckIn(bib: string, note: string | null): Promise<Outcome>;
  deskUndo(bib: string): Promise<Outcome>;
  deskGroup(name: string): Promise<Found[]>;
  deskGroupCheckIn(name: string, bibs: string[], note: string | null): Promise<GroupOutcome>;
  deskSuggestBib(race: string): Promise<string | null>;
  deskWalkUp(form: EntrantForm, note: string | null): Promise<Outcome>;
  deskCounts(): Promise<Counts>;
  deskMissing(race: string | null, group: string | null): Promise<MissingPage>;
  deskExportMissing(race: string | null, group: string | null): Promise<string | null>;
  timingOverview(): Promise<TimingOverview>;
  timingStart(race: string, wave: string | null, at: string | null, reason: string | null, pressedAgoMs?: number | null): Promise<void>;
  timingUndoStart(race: string, wave: string | null): Promise<void>;
  timingRehearsal(on: boolean): Promise<void>;
  timingCapture(point: string, bib: string | null): Promise<Capture>;
  timingAssign(point: string, bib: string): Promise<string | null>;
  timingReads(point: string, limit: number): Promise<Read[]>;
  timingCorrect(id: string, kind: "bib" | "time" | "void", value: string, reason: string | null): Promise<void>;
  /** The clock offset each joined station's captures at `point` were made with. */
  timingOffsets(point: string): Promise<StationOffset[]>;
  /** The chip decoders set up, what each read, and each one's connection. */
  decodersList(): Promise<DecoderView[]>;
  /** Sets a decoder up and reads it from now on. */
  decoderRead(form: DecoderForm): Promise<DecoderView[]>;
  decoderStop(name: string): Promise<DecoderView[]>;
  decoderDryRun(kind: string): Promise<DecoderView[]>;
  decoderSetClock(name: string): Promise<DecoderView[]>;
  /** Corrects station `of`'s captures at `point` by their clock offset; how many. */
  timingApplyOffset(of: string, point: string): Promise<number>;
  timingInsert(point: string, bib: string, time: string, reason: string): Promise<Capture>;
  timingStatus(bib: string, status: string, reason: string): Promise<void>;
  timingHistory(id: string): Promise<HistoryEntry[]>;
  timingPairs(point: string, limit: number): Promise<Pair[]>;
  timingCross(point: string, bib: string | null): Promise<Crossing>;
  timingInsertTime(point: string, time: string, reason: string): Promise<Capture>;
  timingInsertBib(before: string, bib: string | null, reason: string): Promise<Crossing>;
  timingDropBib(id: string, reason: string): Promise<void>;
  backupNow(): Promise<[string, number]>;
  pickBackupFolder(): Promise<string | null>;
  backupInterval(minutes: number): Promise<void>;
  resultsPage(race: string | null, filter: ResultsFilter, offset: number, limit: number): Promise<ResultsView>;
  resultsLatest(limit: number): Promise<Finisher[]>;
  resultsExport(race: string | null, format: string, language: string): Promise<string[]>;
  pickResultsFolder(): Promise<string | null>;
  resultsPrint(race: string, filter: ResultsFilter): Promise<PrintOut>;
  /** Who is still out on the course, per race, the latest first. */
  resultsCourse(): Promise<RaceOnCourse[]>;
  /** The still-on-course list as CSV in the results folder; its path. */
  resultsCourseExport(): Promise<string>;
  /** The leaders of every race, in each group, as the results stand. */
  resultsLeaders(): Promise<RaceLeaders[]>;
  /** The runners expected at the finish next, soonest first. */
  resultsComing(limit: number): Promise<Coming[]>;
  /** Opens the announcer's screen in a window of its own. */
  resultsAnnouncerWindow(): Promise<void>;
  /** Where the results site for phones is served; null when it is not. */
  resultsSite(): Promise<Site | null>;
  resultsSiteStart(listen: string): Promise<Site | null>;
  resultsSiteStop(): Promise<Site | null>;
  eventOpenCopy(path: string): Promise<string>;
  /** Merges another station's copy of this event into it. */
  eventMerge(path: string): Promise<Merged>;
  /** This laptop on the venue's network: the event it shares, its
   *  stations, its link to the hub it joined. */
  networkState(): Promise<NetworkState>;
  networkShare(listen: string): Promise<NetworkState>;
  networkStopSharing(): Promise<NetworkState>;
  networkJoin(address: string, code: string, name: string): Promise<NetworkState>;
  networkRemoveStation(station: string): Promise<NetworkState>;
  /** Registers a walk-up kept aside (its bib was taken) under a free bib. */
  networkResolve(uid: string, bib: string): Promise<NetworkState>;
  /** Gives a race made elsewhere under a code a race here had first another code. */
  networkRenameRace(race: string, code: string): Promise<NetworkState>;
  /** Hubs that answer on this laptop's networks (mDNS), within 3 s. */
  networkFindHubs(): Promise<FoundHub[]>;
  /** Gives a station the walk-up bibs of a race (empty: none). */
  networkSetBlock(race: string, station: string, bibs: string): Promise<NetworkState>;
  /** Gives every joined station without one a block of `size` bibs of each race. */
  networkGiveBlocks(size: number): Promise<NetworkState>;
  /** Calls `handler` each time the open file changed, whoever changed it;
   *  resolves to the function that stops it. */
  onChange(handler: (change: Change) => void): Promise<() => void>;
}

export const tauriBackend: Backend = {
  appInfo: () => invoke("app_info"),
  setPreferences: (preferences) => invoke("set_preferences", { preferences }),
  timeZones: () => invoke("time_zones"),
  eventGet: () => invoke("event_get"),
  eventSave: (form) => invoke("event_save", { form }),
  eventNew: (path, form) => invoke("event_new", { path, form }),
  eventOpen: (path) => invoke("event_open", { path }),
  pickEventFile: (isNew) => invoke("pick_event_file", { new: isNew }),
  racesList: () => invoke("races_list"),
  raceSave: (code, form) => invoke("race_save", { code, form }),
  raceRemove: (code) => invoke("race_remove", { code }),
  ageGroupsPreview: (spec) => invoke("age_groups_preview", { spec }),
  pickRosterFile: () => invoke("pick_roster_file"),
  rosterCheck: (request) => invoke("roster_check", { request }),
  rosterImport: (request, onProgress) => {
    const channel = new Channel<ImportProgress>();
    channel.onmessage = onProgress;
    return invoke("roster_import", { request, onProgress: channel });
  },
  rosterCancel: () => invoke("roster_cancel"),
  rosterPage: (query) => invoke("roster_page", { query }),
  entrantGet: (bib) => invoke("entrant_get", { bib }),
  entrantSave: (bib, form) => invoke("entrant_save", { bib, form }),
  deskSearch: (query, limit) => invoke("desk_search", { query, limit }),
  deskCheckIn: (bib, note) => invoke("desk_check_in", { bib, note }),
  deskUndo: (bib) => invoke("desk_undo", { bib }),
  deskGroup: (name) => invoke("desk_group", { name }),
  deskGroupCheckIn: (name, bibs, note) => invoke("desk_group_check_in", { name, bibs, note }),
  deskSuggestBib: (race) => invoke("desk_suggest_bib", { race }),
  deskWalkUp: (form, note) => invoke("desk_walk_up", { form, note }),
  deskCounts: () => invoke("desk_counts"),
  deskMissing: (race, group) => invoke("desk_missing", { race, group }),
  deskExportMissing: (race, group) => invoke("desk_export_missing", { race, group }),
  timingOverview: () => invoke("timing_overview"),
  timingStart: (race, wave, at, reason, pressedAgoMs = null) => invoke("timing_start", { race, wave, at, reason, pressedAgoMs }),
  timingUndoStart: (race, wave) => invoke("timing_undo_start", { race, wave }),
  timingRehearsal: (on) => invoke("timing_rehearsal", { on }),
  timingCapture: (point, bib) => invoke("timing_capture", { point, bib }),
  timingAssign: (point, bib) => invoke("timing_assign", { point, bib }),
  timingReads: (point, limit) => invoke("timing_reads", { point, limit }),
  timingCorrect: (id, kind, value, reason) => invoke("timing_correct", { id, kind, value, reason }),
  timingOffsets: (point) => invoke("timing_offsets", { point }),
  decodersList: () => invoke("decoders_list"),
  decoderRead: (form) => invoke("decoder_read", { form }),
  decoderStop: (name) => invoke("decoder_stop", { name }),
  decoderDryRun: (kind) => invoke("decoder_dry_run", { kind }),
  decoderSetClock: (name) => invoke("decoder_set_clock", { name }),
  timingApplyOffset: (of, point) => invoke("timing_apply_offset", { of, point }),
  timingInsert: (point, bib, time, reason) => invoke("timing_insert", { point, bib, time, reason }),
  timingStatus: (bib, status, reason) => invoke("timing_status", { bib, status, reason }),
  timingHistory: (id) => invoke("timing_history", { id }),
  timingPairs: (point, limit) => invoke("timing_pairs", { point, limit }),
  timingCross: (point, bib) => invoke("timing_cross", { point, bib }),
  timingInsertTime: (point, time, reason) => invoke("timing_insert_time", { point, time, reason }),
  timingInsertBib: (before, bib, reason) => invoke("timing_insert_bib", { before, bib, reason }),
  timingDropBib: (id, reason) => invoke("timing_drop_bib", { id, reason }),
  backupNow: () => invoke("backup_now"),
  pickBackupFolder: () => invoke("pick_backup_folder"),
  backupInterval: (minutes) => invoke("backup_interval", { minutes }),
  resultsPage: (race, filter, offset, limit) => invoke("results_page", { race, filter, offset, limit }),
  resultsLatest: (limit) => invoke("results_latest", { limit }),
  resultsExport: (race, format, language) => invoke("results_export", { race, format, language }),
  pickResultsFolder: () => invoke("pick_results_folder"),
  resultsPrint: (race, filter) => invoke("results_print", { race, filter }),
  resultsCourse: () => invoke("results_course"),
  resultsCourseExport: () => invoke("results_course_export"),
  resultsLeaders: () => invoke("results_leaders"),
  resultsComing: (limit) => invoke("results_coming", { limit }),
  resultsAnnouncerWindow: () => invoke("results_announcer_window"),
  resultsSite: () => invoke("results_site"),
  resultsSiteStart: (listen) => invoke("results_site_start", { listen }),
  resultsSiteStop: () => invoke("results_site_stop"),
  eventOpenCopy: (path) => invoke("event_open_copy", { path }),
  eventMerge: (path) => invoke("event_merge", { path }),
  networkState: () => invoke("network_state"),
  networkShare: (listen) => invoke("network_share", { listen }),
  networkStopSharing: () => invoke("network_stop_sharing"),
  networkJoin: (address, code, name) => invoke("network_join", { address, code, name }),
  networkRemoveStation: (station) => invoke("network_remove_station", { station }),
  networkResolve: (uid, bib) => invoke("network_resolve", { uid, bib }),
  networkRenameRace: (race, code) => invoke("network_rename_race", { race, code }),
  networkFindHubs: () => invoke("network_find_hubs"),
  networkSetBlock: (race, station, bibs) => invoke("network_set_block", { race, station, bibs }),
  networkGiveBlocks: (size) => invoke("network_give_blocks", { size }),
  onChange: (handler) => listen<Change>("changed", (event) => handler(event.payload)),
};
