//! D1 as the engine's one SQL port ([`SqlRunner`]). Every store is written once in the
//! engine over this port; this adapter only binds arguments and reads results. A `batch()`
//! is one transaction and one round trip: D1 has no interactive transactions
//! (docs/architecture.md, rule 1).

use std::rc::Rc;

use wasm_bindgen::JsValue;
use worker::{D1Database, D1PreparedStatement, D1Result};

use super::trips::{Store, Trips};
use crate::engine::platform::error::InternalError;
use crate::engine::platform::ports::{SqlArg, SqlRunner, Statement};

pub struct D1Store {
    pub db: D1Database,
    /// This request's storage calls (`trips`).
    pub trips: Rc<Trips>,
}

fn d1_err(e: worker::Error) -> InternalError {
    InternalError::new(format!("D1: {e}"))
}

/// D1 takes numbers as JavaScript numbers; unix seconds and counts are far inside f64's
/// exact range.
fn bind(arg: &SqlArg) -> JsValue {
    match arg {
        SqlArg::Text(t) => JsValue::from_str(t),
        SqlArg::Int(n) => JsValue::from_f64(*n as f64),
        SqlArg::Null => JsValue::NULL,
    }
}

fn changes(result: &D1Result) -> Result<u64, InternalError> {
    Ok(result.meta().map_err(d1_err)?.and_then(|m| m.changes).unwrap_or(0) as u64)
}

impl D1Store {
    fn prepare(&self, sql: &str, args: &[SqlArg]) -> Result<D1PreparedStatement, InternalError> {
        let args: Vec<JsValue> = args.iter().map(bind).collect();
        self.db.prepare(sql).bind(&args).map_err(d1_err)
    }

    /// The statements as one `batch()`: one transaction, one round trip.
    async fn run_batch(&self, statements: &[Statement<'_>]) -> Result<Vec<D1Result>, InternalError> {
        let prepared =
            statements.iter().map(|(sql, args)| self.prepare(sql, args)).collect::<Result<Vec<_>, InternalError>>()?;
        let results = self.trips.around(Store::D1, self.db.batch(prepared)).await.map_err(d1_err)?;
        for result in &results {
            if let Some(e) = result.error() {
                return Err(InternalError::new(format!("D1 batch: {e}")));
            }
        }
        if results.len() != statements.len() {
            return Err(InternalError::new("D1 batch: wrong number of results"));
        }
        Ok(results)
    }
}

impl SqlRunner for D1Store {
    async fn execute(&self, sql: &str, args: &[SqlArg]) -> Result<u64, InternalError> {
        let statement = self.prepare(sql, args)?;
        changes(&self.trips.around(Store::D1, statement.run()).await.map_err(d1_err)?)
    }

    async fn query(&self, sql: &str, args: &[SqlArg]) -> Result<Vec<serde_json::Value>, InternalError> {
        let statement = self.prepare(sql, args)?;
        self.trips.around(Store::D1, statement.all()).await.map_err(d1_err)?.results().map_err(d1_err)
    }

    async fn batch(&self, statements: &[Statement<'_>]) -> Result<Vec<u64>, InternalError> {
        self.run_batch(statements).await?.iter().map(changes).collect()
    }

    async fn query_batch(&self, statements: &[Statement<'_>]) -> Result<Vec<Vec<serde_json::Value>>, InternalError> {
        self.run_batch(statements).await?.iter().map(|r| r.results::<serde_json::Value>().map_err(d1_err)).collect()
    }
}
