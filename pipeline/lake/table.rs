//! How a lake table is declared: one Rust struct per table whose field types
//! give the Arrow schema, so the schema is written down exactly once.

use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};

/// Microseconds since the Unix epoch, UTC; stored as `timestamp[us, UTC]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct Micros(pub i64);

/// Days since the Unix epoch; stored as `date32`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct Days(pub i32);

/// A Rust field type that has one Arrow column type.
pub trait Col {
    /// The Arrow type of the column.
    fn data_type() -> DataType;
    /// Whether the column may hold nulls.
    const NULLABLE: bool = false;
}

impl Col for String {
    fn data_type() -> DataType {
        DataType::Utf8
    }
}
impl Col for i64 {
    fn data_type() -> DataType {
        DataType::Int64
    }
}
impl Col for i32 {
    fn data_type() -> DataType {
        DataType::Int32
    }
}
impl Col for bool {
    fn data_type() -> DataType {
        DataType::Boolean
    }
}
impl Col for Micros {
    fn data_type() -> DataType {
        DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
    }
}
impl Col for Days {
    fn data_type() -> DataType {
        DataType::Date32
    }
}
impl<T: Col> Col for Option<T> {
    fn data_type() -> DataType {
        T::data_type()
    }
    const NULLABLE: bool = true;
}

/// A lake table: its name, columns and the time that picks its date partition.
pub trait Table: serde::Serialize + Send + Sync + 'static {
    /// Table name, also its folder in the lake.
    const NAME: &'static str;
    /// One line describing the table.
    const DOC: &'static str;
    /// Columns with their documentation.
    fn columns() -> Vec<(Field, &'static str)>;
    /// The time whose UTC date names the row's `date=` partition.
    fn partition_time(&self) -> Micros;
    /// The Arrow schema of the Parquet files (without the `date` partition column).
    fn schema() -> SchemaRef {
        Arc::new(Schema::new(
            Self::columns()
                .into_iter()
                .map(|(f, _)| f)
                .collect::<Vec<_>>(),
        ))
    }
}

/// Declares a lake table row struct and its [`Table`] impl from one field list.
#[macro_export]
macro_rules! lake_table {
    (
        $(#[doc = $doc:literal])*
        pub struct $row:ident in $name:literal by $part:ident {
            $( $(#[doc = $fdoc:literal])* pub $f:ident : $t:ty ),* $(,)?
        }
    ) => {
        $(#[doc = $doc])*
        #[derive(Debug, Clone, PartialEq, serde::Serialize)]
        pub struct $row {
            $( $(#[doc = $fdoc])* pub $f: $t, )*
        }
        impl $crate::lake::table::Table for $row {
            const NAME: &'static str = $name;
            const DOC: &'static str = concat!($($doc),*);
            fn columns() -> Vec<(datafusion::arrow::datatypes::Field, &'static str)> {
                use $crate::lake::table::Col;
                vec![$((
                    datafusion::arrow::datatypes::Field::new(
                        stringify!($f),
                        <$t as Col>::data_type(),
                        <$t as Col>::NULLABLE,
                    ),
                    concat!($($fdoc),*).trim_ascii(),
                )),*]
            }
            fn partition_time(&self) -> $crate::lake::table::Micros {
                self.$part
            }
        }
    };
}
