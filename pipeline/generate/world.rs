//! The generated world: stores, their products and regions, carriers.

/// A generated store.
pub struct Store {
    /// Store id.
    pub id: &'static str,
    /// Order id prefix.
    pub prefix: &'static str,
    /// Currency.
    pub currency: &'static str,
    /// ISO country.
    pub country: &'static str,
    /// Platform.
    pub platform: &'static str,
    /// Share of COD orders.
    pub cod_share: f64,
    /// Share of all orders.
    pub weight: f64,
    /// Regions with their main city.
    pub regions: &'static [(&'static str, &'static str)],
    /// Products: sku, title, price in minor units.
    pub products: &'static [(&'static str, &'static str, i64)],
    /// Shipping charged in minor units.
    pub shipping: i64,
    /// Stripe fixed fee in minor units.
    pub stripe_fixed_fee: i64,
    /// Phone prefix.
    pub phone: &'static str,
}

/// A generated carrier.
pub struct Carrier {
    /// Name.
    pub name: &'static str,
    /// Tracking number prefix.
    pub prefix: &'static str,
    /// Share of COD parcels returned to origin.
    pub cod_rto: f64,
    /// Share of prepaid parcels returned to origin.
    pub prepaid_rto: f64,
    /// Raw status text per normalized status.
    pub raw: fn(&str) -> &'static str,
}

/// The stores.
pub const STORES: &[Store] = &[
    Store {
        id: "atlas-home",
        prefix: "AH",
        currency: "MAD",
        country: "MA",
        platform: "shopify",
        cod_share: 0.70,
        weight: 0.40,
        regions: &[
            ("Casablanca-Settat", "Casablanca"),
            ("Rabat-Sale-Kenitra", "Rabat"),
            ("Marrakech-Safi", "Marrakech"),
            ("Fes-Meknes", "Fes"),
            ("Tanger-Tetouan-Al Hoceima", "Tangier"),
        ],
        products: &[
            ("AH-RUG-01", "Berber wool rug", 89_900),
            ("AH-LMP-02", "Brass lantern", 34_950),
            ("AH-POF-03", "Leather pouf", 42_000),
            ("AH-TAG-04", "Ceramic tagine", 19_900),
            ("AH-TEA-05", "Silver tea set", 64_900),
            ("AH-CSH-06", "Embroidered cushion", 14_950),
            ("AH-BSK-07", "Palm basket", 9_900),
            ("AH-MIR-08", "Carved mirror", 52_500),
        ],
        shipping: 3_000,
        stripe_fixed_fee: 300,
        phone: "+2126",
    },
    Store {
        id: "najd-style",
        prefix: "NS",
        currency: "SAR",
        country: "SA",
        platform: "woocommerce",
        cod_share: 0.55,
        weight: 0.30,
        regions: &[
            ("Riyadh", "Riyadh"),
            ("Makkah", "Jeddah"),
            ("Eastern Province", "Dammam"),
            ("Madinah", "Madinah"),
            ("Asir", "Abha"),
        ],
        products: &[
            ("NS-ABY-01", "Embroidered abaya", 45_900),
            ("NS-THB-02", "Cotton thobe", 18_900),
            ("NS-SHM-03", "Shemagh", 8_950),
            ("NS-OUD-04", "Oud perfume", 32_000),
            ("NS-SND-05", "Leather sandals", 14_900),
            ("NS-BAG-06", "Evening bag", 27_500),
        ],
        shipping: 2_500,
        stripe_fixed_fee: 100,
        phone: "+9665",
    },
    Store {
        id: "gulf-gadgets",
        prefix: "GG",
        currency: "KWD",
        country: "KW",
        platform: "shopify",
        cod_share: 0.50,
        weight: 0.20,
        regions: &[
            ("Al Asimah", "Kuwait City"),
            ("Hawalli", "Salmiya"),
            ("Farwaniya", "Farwaniya"),
            ("Ahmadi", "Fahaheel"),
            ("Jahra", "Jahra"),
        ],
        products: &[
            ("GG-EAR-01", "Wireless earbuds", 12_750),
            ("GG-CHG-02", "Fast charger", 4_500),
            ("GG-WCH-03", "Smart watch", 39_900),
            ("GG-SPK-04", "Bluetooth speaker", 17_250),
            ("GG-CBL-05", "USB-C cable pack", 2_125),
            ("GG-PWR-06", "Power bank", 9_875),
        ],
        shipping: 1_500,
        stripe_fixed_fee: 100,
        phone: "+9656",
    },
    Store {
        id: "sakura-tea",
        prefix: "ST",
        currency: "JPY",
        country: "JP",
        platform: "generic",
        cod_share: 0.35,
        weight: 0.10,
        regions: &[
            ("Tokyo", "Shibuya"),
            ("Osaka", "Osaka"),
            ("Kanagawa", "Yokohama"),
            ("Aichi", "Nagoya"),
            ("Fukuoka", "Fukuoka"),
        ],
        products: &[
            ("ST-MAT-01", "Ceremonial matcha 40g", 3_980),
            ("ST-SEN-02", "Sencha 100g", 1_620),
            ("ST-HOJ-03", "Hojicha 80g", 1_280),
            ("ST-CUP-04", "Hagi-yaki cup", 5_400),
            ("ST-WSK-05", "Bamboo whisk", 2_750),
        ],
        shipping: 600,
        stripe_fixed_fee: 0,
        phone: "+8190",
    },
];

fn swift_raw(s: &str) -> &'static str {
    match s {
        "info_received" => "Shipment information received",
        "in_transit" => "In transit to destination hub",
        "out_for_delivery" => "Out for delivery",
        "attempt_failed" => "Delivery attempted - customer unavailable",
        "delivered" => "Delivered",
        "returned_to_origin" => "Returned to shipper",
        "exception" => "Address incomplete - on hold",
        _ => "Cancelled",
    }
}

fn dune_raw(s: &str) -> &'static str {
    match s {
        "info_received" => "PICKUP_SCHEDULED",
        "in_transit" => "HUB_SCAN",
        "out_for_delivery" => "OFD",
        "attempt_failed" => "NDR_CUSTOMER_REFUSED",
        "delivered" => "DLVD",
        "returned_to_origin" => "RTO_DELIVERED",
        "exception" => "HOLD_ADDRESS_ISSUE",
        _ => "CANCELLED",
    }
}

fn falcon_raw(s: &str) -> &'static str {
    match s {
        "info_received" => "Colis enregistre",
        "in_transit" => "En cours d'acheminement",
        "out_for_delivery" => "En cours de livraison",
        "attempt_failed" => "Echec de livraison - injoignable",
        "delivered" => "Livre",
        "returned_to_origin" => "Retourne a l'expediteur",
        "exception" => "Incident - adresse erronee",
        _ => "Annule",
    }
}

/// The carriers.
pub const CARRIERS: &[Carrier] = &[
    Carrier {
        name: "swiftpost",
        prefix: "SWP",
        cod_rto: 0.21,
        prepaid_rto: 0.03,
        raw: swift_raw,
    },
    Carrier {
        name: "dunecargo",
        prefix: "DNC",
        cod_rto: 0.27,
        prepaid_rto: 0.04,
        raw: dune_raw,
    },
    Carrier {
        name: "falconex",
        prefix: "FLX",
        cod_rto: 0.33,
        prepaid_rto: 0.05,
        raw: falcon_raw,
    },
];

/// Sales channels and their shares.
pub const CHANNELS: &[(&str, f64)] = &[
    ("online_store", 0.55),
    ("instagram", 0.20),
    ("whatsapp", 0.15),
    ("tiktok", 0.10),
];

/// Stripe failure codes used for declined attempts.
pub const FAILURES: &[(&str, &str)] = &[
    ("card_declined", "Your card was declined."),
    ("insufficient_funds", "Your card has insufficient funds."),
    ("expired_card", "Your card has expired."),
    (
        "processing_error",
        "An error occurred while processing your card.",
    ),
];
