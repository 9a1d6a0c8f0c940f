-- Code names: the built-in compact table, replaced per codelist by `kizuna codelists update|load`.
CREATE TABLE codelist_items (
    codelist VARCHAR NOT NULL,
    code     VARCHAR NOT NULL,
    name     VARCHAR NOT NULL,
    category VARCHAR,
    source   VARCHAR NOT NULL,
    PRIMARY KEY (codelist, code)
);
