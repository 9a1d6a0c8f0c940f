-- Coordinate: which ally each organisation belongs to (editable), so analyses group by ally.
-- Rules by organisation-identifier prefix (longest matching prefix wins); explicit mappings of one
-- organisation (by ref, or 'name:' || normalised name for 3W rows without identifiers) override rules.
CREATE TABLE coordinate_ally_rules (
    prefix     VARCHAR PRIMARY KEY,
    ally       VARCHAR NOT NULL,
    source     VARCHAR NOT NULL,      -- 'default' (shipped) | 'user'
    note       VARCHAR
);
CREATE TABLE coordinate_org_allies (
    org_key    VARCHAR PRIMARY KEY,   -- org ref, or 'name:<normalised name>'
    org_name   VARCHAR,
    ally       VARCHAR NOT NULL,
    updated_at TIMESTAMP
);
INSERT INTO coordinate_ally_rules VALUES
    ('US-GOV-',        'United States', 'default', 'US government agencies (USAID US-GOV-1, State US-GOV-11, DoD US-GOV-7 ...)'),
    ('US-EIN-',        'NGOs',          'default', 'US-registered non-profits'),
    ('XM-DAC-701-',    'Japan',         'default', 'Japan: MOFA XM-DAC-701-2, JICA XM-DAC-701-8'),
    ('JP-',            'Japan',         'default', 'Japanese registered organisations'),
    ('XM-DAC-41',      'UN',            'default', 'UN agencies, funds and programmes (DAC channel codes 41xxx)'),
    ('XM-DAC-47066',   'UN',            'default', 'IOM'),
    ('XM-OCHA-',       'UN',            'default', 'OCHA-managed pooled funds'),
    ('XI-IATI-OCHA',   'UN',            'default', 'OCHA'),
    ('XM-DAC-918-',    'European Union','default', 'EU institutions'),
    ('XI-IATI-EC_',    'European Union','default', 'European Commission services'),
    ('GB-GOV-',        'United Kingdom','default', 'UK government departments'),
    ('XZ-SYN-ALLYA-',  'Ally A',        'default', 'synthetic demo (kizuna demo)'),
    ('XZ-SYN-ALLYB-',  'Ally B',        'default', 'synthetic demo (kizuna demo)'),
    ('XZ-SYN-UN-',     'UN',            'default', 'synthetic demo (kizuna demo)'),
    ('XZ-SYN-NGO-',    'NGOs',          'default', 'synthetic demo (kizuna demo)');
