-- One single-row INSERT into a copy of punches, autocommit (see setup.sh).
\set e random(1, 10000)
INSERT INTO pgb.raw_punches (employee_id, kind, at, received_at, shift_date, source, event_id, has_location, lat, lng, accuracy_m, label, site_id, distance_m, client_ip, outcome, time_result, late_min, early_min, reasons, flags, makeup_id) VALUES ('E' || :e, 'in', now(), now(), '2026-12-02', 'feishu', md5(random()::text), true, 31.2, 121.4, 10, '', 'S1', 12.5, '', 'accepted', 'normal', 0, 0, '[]', '[]', 0);
