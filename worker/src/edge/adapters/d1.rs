//! D1 as the engine's one SQL port ([`SqlRunner`]). Every store is written once in the
//! engine over this port; this adapter only binds arguments and reads results. A `batch()`
//! is one transaction and one round trip: D1 has no interactive transactions
//! (docs/architecture.md, "Each store method is one statement or one D1 batch").

use std::rc::Rc;

use wasm_bindgen::JsValue;
use worker::{D1Database, D1DatabaseSession, D1PreparedStatement, D1Result, D1SessionConstraint};

use super::trips::{Store, Trips};
use crate::engine::platform::error::InternalError;
use crate::engine::platform::ports::{SqlArg, SqlRunner, Statement};

pub struct D1Store {
    db: Target,
    /// This request's storage calls (`trips`).
    trips: Rc<Trips>,
}

/// Where the statements go.
enum Target {
    /// The primary database: every read sees every committed write.
    Primary(D1Database),
    /// A D1 session (Sessions API) whose first read may come from a nearby read replica,
    /// a moment behind the primary; writes still go to the primary, and later reads of
    /// the session see them.
    Replica(D1DatabaseSession),
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

/// Adds `result`'s billed rows to this request's count (`SERVER_TIMING`, `make bench`).
fn count_rows(trips: &Trips, result: &D1Result) {
    if let Ok(Some(meta)) = result.meta() {
        trips.add_rows(meta.rows_read.unwrap_or(0) as u64, meta.rows_written.unwrap_or(0) as u64);
    }
}

impl D1Store {
    /// Reads and writes on the primary.
    pub fn primary(db: D1Database, trips: Rc<Trips>) -> D1Store {
        D1Store { db: Target::Primary(db), trips }
    }

    /// Reads that may come from a read replica. Only for data whose lag behind the
    /// primary (seconds at most) is already accepted by a longer cache: the published
    /// keys (JWKS max-age 300 s, a key published 360 s before it signs) and the scope
    /// names in discovery (cached per isolate). Never for what revocation, rotation of
    /// refresh tokens or redemption of codes depends on (docs/scaling.md).
    pub fn replica(db: &D1Database, trips: Rc<Trips>) -> Result<D1Store, InternalError> {
        let session = db.with_session_constraint(D1SessionConstraint::FirstUnconstrained).map_err(d1_err)?;
        Ok(D1Store { db: Target::Replica(session), trips })
    }

    fn prepare(&self, sql: &str, args: &[SqlArg]) -> Result<D1PreparedStatement, InternalError> {
        let args: Vec<JsValue> = args.iter().map(bind).collect();
        let statement = match &self.db {
            Target::Primary(db) => db.prepare(sql),
            Target::Replica(session) => session.prepare(sql),
        };
        statement.bind(&args).map_err(d1_err)
    }

    /// The statements as one `batch()`: one transaction, one round trip.
    async fn run_batch(&self, statements: &[Statement<'_>]) -> Result<Vec<D1Result>, InternalError> {
        let prepared =
            statements.iter().map(|(sql, args)| self.prepare(sql, args)).collect::<Result<Vec<_>, InternalError>>()?;
        let batch = async {
            match &self.db {
                Target::Primary(db) => db.batch(prepared).await,
                Target::Replica(session) => session.batch(prepared).await,
            }
        };
        let results = self.trips.around(Store::D1, batch).await.map_err(d1_err)?;
        for result in &results {
            count_rows(&self.trips, result);
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
        let result = self.trips.around(Store::D1, statement.run()).await.map_err(d1_err)?;
        count_rows(&self.trips, &result);
        changes(&result)
    }

    async fn query(&self, sql: &str, args: &[SqlArg]) -> Result<Vec<serde_json::Value>, InternalError> {
        let statement = self.prepare(sql, args)?;
        let result = self.trips.around(Store::D1, statement.all()).await.map_err(d1_err)?;
        count_rows(&self.trips, &result);
        result.results().map_err(d1_err)
    }

    async fn batch(&self, statements: &[Statement<'_>]) -> Result<Vec<u64>, InternalError> {
        self.run_batch(statements).await?.iter().map(changes).collect()
    }

    async fn query_batch(&self, statements: &[Statement<'_>]) -> Result<Vec<Vec<serde_json::Value>>, InternalError> {
        self.run_batch(statements).await?.iter().map(|r| r.results::<serde_json::Value>().map_err(d1_err)).collect()
    }
}
