// Package admin is punchbot's administration surface: the declarative
// organisation file (ParseOrg) and the admin JSON API that applies it and
// lists punches, employees and the audit log.
//
// # Organisation file
//
// One YAML document (JSON is accepted too: it is a subset of YAML) declares
// the whole organisation. Applying it creates or updates everything it
// names in one transaction; a file with any problem is rejected as a whole
// and changes nothing. Keys are snake_case; an unknown key is an error (so a
// typo such as "manger" is caught instead of silently ignored), and every
// problem is reported at once as "line N: field: message".
//
// Top level:
//
//	name        organisation name, shown in reports
//	lang        zh | en (default zh): report headers and default reply language
//	timezone    IANA zone (default Asia/Shanghai), for employees that name none
//	sites       places where a punch counts as on site
//	calendars   public holidays and 调休 (swapped) working days
//	schedules   shift patterns
//	employees   people, their managers, schedules, sites and chat accounts
//	makeup      the 补卡 (make-up request) policy
//	reminders   scheduled reminders and broadcasts
//
// sites[]:
//
//	id          required, unique
//	name        display name (default: id)
//	lat, lng    required, decimal degrees
//	datum       wgs84 (default; GPS, browsers, Slack) or gcj02 (Tencent and
//	            AMap coordinates in mainland China); a gcj02 site is measured
//	            in its WGS-84 conversion and kept as written: the export
//	            writes its lat, lng and datum: gcj02 back unchanged
//	radius_m    10..5000 metres (default 300)
//	ip_ranges   CIDRs; a browser punch from one of them counts as on site
//
// calendars[]:
//
//	id          required, unique
//	name        optional label
//	holidays    days off that would otherwise be worked:
//	            [{date: 2026-10-01, name: 国庆节}, ...] or plain dates
//	workdays    调休 days worked that would otherwise be off, same shape
//
// schedules[]:
//
//	id                     required, unique
//	name                   display name
//	work_days              list of mon..sun, monday..sunday or 周一..周日
//	                       (also 星期一..星期日, 周天); default mon..fri
//	start, end             "HH:MM" in the employee's zone; an end past 24:00
//	                       ("26:00" = 02:00 next day) is an overnight shift
//	check_in_opens_min     check-in opens this long before start (default 120)
//	check_out_closes_min   check-out closes this long after end (default 360)
//	flexible_min           弹性: start may slide this late, end slides with it
//	late_grace_min         lateness up to this is still on time
//	serious_late_min       lateness above this is serious (0: never)
//	absent_late_min        lateness above this counts as absent (0: never)
//	early_leave_grace_min  leaving up to this early is still on time
//	out_of_range           reject (default) | field (外勤, needs approval) | flag
//	calendar               a calendar id
//	punch_mode             standard (default: first clock-in, last clock-out
//	                       count) | strict (one clock-in, then one clock-out)
//	confirm_within_min     ask to confirm a clock-out this soon after the
//	                       clock-in, and any early leave beyond grace
//	                       (default 10; 0 turns confirmation off)
//
// All *_min fields are 0..1440. Leaving check_in_opens_min or
// check_out_closes_min out gives the default; writing 0 means exactly at
// start / end.
//
// employees[]:
//
//	id          required, unique, stable (for example a staff number)
//	name        required
//	lang        zh | en (default: the organisation's)
//	timezone    IANA zone (default: the organisation's)
//	department  free text, used by broadcasts and reports
//	role        employee (default) | manager | hr
//	manager     the id of another employee; chains must not loop
//	active      default true; inactive people cannot punch
//	schedule    a schedule id (none: punches are accepted at any time)
//	sites       site ids where this person may punch
//	identities  chat accounts: {platform: wecom|feishu|slack|web,
//	            tenant: corp id / tenant key / team id (optional),
//	            user: the platform user id}; an account belongs to one person
//
// makeup:
//
//	monthly_quota       requests per calendar month (0: unlimited)
//	deadline_days       a slot can be made up at most this many days later (0: unlimited)
//	expire_after_hours  pending requests expire after this (0: never)
//
// reminders[]:
//
//	id              required, unique
//	kind            punch_in | punch_out | missed_punch | approval_digest | broadcast
//	minutes_before  punch_in: how long before shift start
//	cron            required for broadcast and approval_digest; a
//	                "CRON_TZ=Asia/Shanghai " prefix sets the zone
//	older_than_hours approval_digest: requests waiting longer than this
//	text            required for broadcast
//	markdown        render text as markdown where the platform can
//	audience        {everyone: bool, departments: [..], employees: [ids],
//	                chats: [{platform: slack, chat: C123}]}
//	until           last date (inclusive), YYYY-MM-DD
//	enabled         default true
//
// ExampleOrg returns a complete, commented example: the demo organisation.
//
// # Files and console edits
//
// GET /api/v1/org (and the console's download) exports the organisation as
// applied, in this format with every list in id order (MarshalOrg), so it
// can be kept in git. HR's console edits go through ParseOrg too, so they
// meet the same rules with the same messages. Applying a file wins for
// everything the file names; what it leaves out stays, because an apply
// creates and updates but never deletes (deactivate people with
// active: false). POST /api/v1/org/diff (OrgChanges) and the console's
// "apply a file" page show the lines an apply would change before it is
// made.
package admin
