-- The organisation file's integrity (issue: read-then-apply race, GCJ-02
-- export).
--
-- org_version: one row, moved on by every ApplyOrg in its transaction. An
-- apply of an organisation read, changed and written back (a file whose
-- left-out settings keep their stored values, a console edit) names the
-- version it read and is refused when the row has moved meanwhile, so a
-- concurrent edit is never silently overwritten. A missing row reads as 1.
CREATE TABLE org_version (
    id      INTEGER PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    version INTEGER NOT NULL CHECK (version >= 1)
) STRICT;

-- A site's datum and its coordinates as written: a site given in GCJ-02
-- (Tencent and AMap maps) keeps what the admin wrote, so the export writes
-- it back with datum: gcj02; lat and lng stay the WGS-84 conversion that
-- distances are measured on. WGS-84 sites, and every site stored before,
-- were written as stored.
ALTER TABLE sites ADD COLUMN datum TEXT NOT NULL DEFAULT 'wgs84' CHECK (datum IN ('wgs84', 'gcj02'));
ALTER TABLE sites ADD COLUMN written_lat REAL;
ALTER TABLE sites ADD COLUMN written_lng REAL;
