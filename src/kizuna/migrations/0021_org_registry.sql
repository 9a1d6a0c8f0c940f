-- The organisation registry: ally, agency, type and names of the alliance's publishers and funders by
-- IATI organisation identifier. Built-in rows come from kizuna/reference/organisations.csv (reloaded
-- when that file changes); rows a user adds (`kizuna allies register`) have origin 'user' and win.
CREATE TABLE org_registry (
    ref      VARCHAR PRIMARY KEY,   -- IATI organisation identifier as published (e.g. US-GOV-1, XM-DAC-701-8)
    name     VARCHAR NOT NULL,      -- English name, as the organisation writes it
    name_ja  VARCHAR,               -- Japanese name, where one is official or standard
    ally     VARCHAR,               -- United States | Japan | UN | European Union | ...
    agency   VARCHAR,               -- short label: USAID, State, JICA, MOFA, UNDP ...
    org_type VARCHAR,               -- IATI OrganisationType code
    aliases  VARCHAR,               -- other names seen for it, ' | ' separated
    same_as  VARCHAR,               -- the current identifier of an organisation this (legacy) ref also names
    source   VARCHAR,               -- where the identifier was verified
    origin   VARCHAR NOT NULL       -- 'builtin' | 'user'
);
-- Which version of the shipped reference data a workspace holds (name -> sha256 of the shipped file).
CREATE TABLE reference_versions (
    name   VARCHAR PRIMARY KEY,
    sha256 VARCHAR NOT NULL
);
-- One name per organisation identifier, everywhere (documented in docs/coordinate.md, "Names"):
-- the registry's name; else the name the organisation gives itself as a publisher (reporting-org),
-- the most frequent; else the name others give it most often; ties to the alphabetically first.
CREATE VIEW org_names AS
WITH seen AS (
    SELECT publisher_ref AS ref, publisher_name AS name, 0 AS other FROM activities
     WHERE publisher_ref IS NOT NULL AND publisher_name IS NOT NULL
    UNION ALL
    SELECT ref, name, 1 FROM participating_orgs WHERE ref IS NOT NULL AND name IS NOT NULL
), tallied AS (
    SELECT ref, name, min(other) AS other, count(*) AS n FROM seen GROUP BY ref, name
), best AS (
    SELECT ref, first(name ORDER BY other, n DESC, name) AS name FROM tallied GROUP BY ref
)
SELECT coalesce(r.ref, b.ref) AS ref, coalesce(c.name, r.name, b.name) AS name, coalesce(c.name_ja, r.name_ja) AS name_ja,
       CASE WHEN r.ref IS NOT NULL THEN 'registry' ELSE 'ledger' END AS name_source
FROM best b FULL JOIN org_registry r ON r.ref = b.ref
LEFT JOIN org_registry c ON c.ref = r.same_as;
