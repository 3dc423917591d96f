-- The organisation file's integrity (issue: read-then-apply race, GCJ-02
-- export).
--
-- org_version: one row, moved on by every ApplyOrg in its transaction. An
-- apply of an organisation read, changed and written back (a file whose
-- left-out settings keep their stored values, a console edit) names the
-- version it read and is refused when the row has moved meanwhile, so a
-- concurrent edit on another replica is never silently overwritten. A
-- missing row reads as 1.
CREATE TABLE org_version (
    id      integer PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    version bigint NOT NULL CHECK (version >= 1)
);

-- A site's datum and its coordinates as written: a site given in GCJ-02
-- (Tencent and AMap maps) keeps what the admin wrote, so the export writes
-- it back with datum: gcj02; lat and lng stay the WGS-84 conversion that
-- distances are measured on. WGS-84 sites, and every site stored before,
-- were written as stored.
ALTER TABLE sites
    ADD COLUMN datum text NOT NULL DEFAULT 'wgs84' CHECK (datum IN ('wgs84', 'gcj02')),
    ADD COLUMN written_lat double precision,
    ADD COLUMN written_lng double precision,
    ADD CONSTRAINT sites_written_check CHECK ((datum = 'wgs84') = (written_lat IS NULL AND written_lng IS NULL));
