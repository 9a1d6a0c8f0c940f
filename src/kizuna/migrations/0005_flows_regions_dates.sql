-- Issue 11: money given to a region stays region money, and every flow has a date.
-- A flow's recipient is a country (ISO 3166-1 alpha-2) or a region (code in region_vocabulary: 1 OECD
-- DAC, 2 UN M49, 99 the publisher's own), never both; both NULL = unspecified. country_source says
-- where the recipient came from ('transaction' | 'activity' | 'unspecified').
ALTER TABLE flows ADD COLUMN region VARCHAR;
ALTER TABLE flows ADD COLUMN region_vocabulary VARCHAR;
-- date / year: the transaction-date, else the value-date ('transaction-date' | 'value-date' | NULL).
ALTER TABLE flows ADD COLUMN date_source VARCHAR;
