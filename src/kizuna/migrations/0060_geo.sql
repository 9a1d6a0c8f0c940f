-- Administrative areas (kizuna.geo): boundary files and P-code gazetteers added with
-- `kizuna boundaries add`, and the code/name pairs 3W sheets give. One row per area per import.
CREATE TABLE admin_areas (
    import_id    INTEGER NOT NULL,   -- imports.import_id (kind 'boundaries', or '3w' for a sheet's areas)
    source       VARCHAR NOT NULL,   -- 'boundaries' (with geometry) | 'gazetteer' (names only) | '3w'
    country      VARCHAR,            -- ISO 3166-1 alpha-2
    level        INTEGER NOT NULL,   -- 1 = admin-1 (state, province), 2 = admin-2 (county, district) ...
    pcode        VARCHAR NOT NULL,
    name         VARCHAR,
    parent_pcode VARCHAR,
    valid_from   DATE,
    feature      INTEGER,            -- 1-based feature (or row) of the file it came from
    geometry     BLOB,               -- WKB polygon, longitude/latitude (WGS 84); NULL for names only
    shape        VARCHAR,            -- simplified GeoJSON geometry for maps (exterior rings clockwise)
    min_lon DOUBLE, min_lat DOUBLE, max_lon DOUBLE, max_lat DOUBLE,
    label_lon DOUBLE, label_lat DOUBLE  -- a point inside the area, where its label goes
);
-- Admin areas of the ledger's located points (locations with lat/lon), by point in polygon:
-- rebuilt whole when boundaries are added; points ingested later are placed when the ledger is read
-- (kizuna.geo.areas.with_point_areas), so no ingest pays for it.
CREATE TABLE location_areas (
    activity_uid VARCHAR NOT NULL,
    seq          INTEGER NOT NULL,
    lat          DOUBLE NOT NULL,
    lon          DOUBLE NOT NULL,
    country      VARCHAR,
    adm1         VARCHAR,
    adm2         VARCHAR
);
