-- One punch transaction as the store sends it (tx.go): the lock batch (the
-- lock with the next punch id, then the read-ahead of recent punches and of
-- the waiting text punch, intent.go), then the commit batch
-- (see setup.sh). JSON keeps a space after each colon: pgbench
-- reads ":name" as a variable.
\set e random(1, 10000)
\startpipeline
BEGIN;
SELECT set_config('lock_timeout', '9000ms', true), pg_advisory_xact_lock(1886744163, hashtext('E' || :e)), nextval('pgb.punches_id_seq');
SELECT id, employee_id, kind, at, received_at, shift_date, source, event_id, has_location, lat, lng, accuracy_m, label, site_id, distance_m, client_ip, outcome, time_result, late_min, early_min, reasons, flags, makeup_id FROM pgb.punches WHERE employee_id = 'E' || :e AND shift_date >= '2026-12-01' UNION ALL (SELECT id, employee_id, kind, at, received_at, shift_date, source, event_id, has_location, lat, lng, accuracy_m, label, site_id, distance_m, client_ip, outcome, time_result, late_min, early_min, reasons, flags, makeup_id FROM pgb.punches WHERE employee_id = 'E' || :e AND has_location ORDER BY at DESC, id DESC LIMIT 1) ORDER BY at, id;
SELECT employee_id, platform, tenant, user_id, kind, armed_at, expires_at FROM pgb.punch_intents WHERE employee_id = 'E' || :e;
\endpipeline
\startpipeline
INSERT INTO pgb.punches (employee_id, kind, at, received_at, shift_date, source, event_id, has_location, lat, lng, accuracy_m, label, site_id, distance_m, client_ip, outcome, time_result, late_min, early_min, reasons, flags, makeup_id, id) OVERRIDING SYSTEM VALUE VALUES ('E' || :e, 'in', now(), now(), '2026-12-02', 'feishu', md5(random()::text), true, 31.2, 121.4, 10, '', 'S1', 12.5, '', 'accepted', 'normal', 0, 0, '[]', '[]', 0, currval('pgb.punches_id_seq'));
INSERT INTO pgb.audit (at, actor, action, subject, detail) VALUES (now(), 'E' || :e, 'punch.accepted', 'E' || :e, '{"flags": null,"kind": "in","punch_id": 123456,"reasons": null,"source": "feishu"}');
INSERT INTO pgb.events (source, event_id, employee_id, reply, created_at) VALUES ('feishu', md5(random()::text), 'E' || :e, '{"outcome": "accepted","kind": "in","at": "2026-12-02T09:00:00Z","shift_date": "2026-12-02","employee_id": "E1","employee_name": "张三","lang": "zh","time_zone": "Asia/Shanghai","site_id": "S1","site_name": "上海总部","radius_m": 200,"distance_m": 12.5,"punch_id": 123456,"platform": "feishu"}', now());
INSERT INTO pgb.outbox (platform, route, kind, payload, dedupe_key, attempts, next_attempt, status, last_error, created_at, sent_at, firing_id) VALUES ('feishu', 'ou_xxxxxxxxxxxxxxxxxxxxxx', 'reply', '{"outcome": "accepted","kind": "in","at": "2026-12-02T09:00:00Z","shift_date": "2026-12-02","employee_id": "E1","employee_name": "张三","lang": "zh","time_zone": "Asia/Shanghai","site_id": "S1","site_name": "上海总部","radius_m": 200,"distance_m": 12.5,"punch_id": 123456,"platform": "feishu"}', 'reply-feishu-' || md5(random()::text), 0, now(), 'pending', '', now(), NULL, 0) ON CONFLICT (dedupe_key) WHERE dedupe_key <> '' DO NOTHING;
COMMIT;
\endpipeline
