//! A time limit on every query a session runs. DataFusion plans have no
//! timeout of their own, and a Postgres client's `statement_timeout` in
//! datafusion-postgres covers planning only; so the physical optimizer wraps
//! each plan's root in [`DeadlineExec`], whose streams end with an error once
//! the limit passes. DataFusion's operators yield cooperatively, so even a
//! long aggregation is interrupted, and dropping the stream cancels its work.

use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::{RecordBatchStream, SendableRecordBatchStream, TaskContext};
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_plan::{DisplayAs, DisplayFormatType, ExecutionPlan, PlanProperties};
use futures::{Future, Stream};

/// The optimizer rule: wraps the root of every plan once.
#[derive(Debug)]
pub struct Deadline {
    limit: Duration,
}

impl Deadline {
    /// Queries stop after `limit`.
    pub fn new(limit: Duration) -> Self {
        Deadline { limit }
    }
}

impl PhysicalOptimizerRule for Deadline {
    fn optimize(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        _config: &ConfigOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        if plan.is::<DeadlineExec>() {
            return Ok(plan);
        }
        Ok(Arc::new(DeadlineExec {
            input: plan,
            limit: self.limit,
        }))
    }

    fn name(&self) -> &str {
        "settle_query_deadline"
    }

    fn schema_check(&self) -> bool {
        true
    }
}

/// Passes its input through until the limit, then fails with a timeout.
#[derive(Debug)]
pub struct DeadlineExec {
    input: Arc<dyn ExecutionPlan>,
    limit: Duration,
}

impl DisplayAs for DeadlineExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "DeadlineExec: limit={:?}", self.limit)
    }
}

impl ExecutionPlan for DeadlineExec {
    fn name(&self) -> &str {
        "DeadlineExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        self.input.properties()
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![&self.input]
    }

    fn maintains_input_order(&self) -> Vec<bool> {
        vec![true]
    }

    fn apply_expressions(
        &self,
        _f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    fn with_new_children(
        self: Arc<Self>,
        mut children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        if children.len() != 1 {
            return Err(DataFusionError::Internal(
                "DeadlineExec has exactly one input".into(),
            ));
        }
        Ok(Arc::new(DeadlineExec {
            input: children.swap_remove(0),
            limit: self.limit,
        }))
    }

    fn execute(
        &self,
        partition: usize,
        context: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        let inner = self.input.execute(partition, context)?;
        Ok(Box::pin(DeadlineStream {
            schema: inner.schema(),
            inner: Some(inner),
            timer: Box::pin(tokio::time::sleep(self.limit)),
            limit: self.limit,
        }))
    }
}

struct DeadlineStream {
    schema: SchemaRef,
    inner: Option<SendableRecordBatchStream>,
    timer: Pin<Box<tokio::time::Sleep>>,
    limit: Duration,
}

impl Stream for DeadlineStream {
    type Item = Result<RecordBatch>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.inner.is_none() {
            return Poll::Ready(None);
        }
        if self.timer.as_mut().poll(cx).is_ready() {
            // Dropping the input stops its work.
            self.inner = None;
            return Poll::Ready(Some(Err(timed_out(self.limit))));
        }
        match self.inner.as_mut() {
            Some(inner) => inner.as_mut().poll_next(cx),
            None => Poll::Ready(None),
        }
    }
}

impl RecordBatchStream for DeadlineStream {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }
}

/// The error a query over its limit ends with.
pub fn timed_out(limit: Duration) -> DataFusionError {
    DataFusionError::ResourcesExhausted(format!(
        "canceling statement due to statement timeout: the query ran longer than {} s \
         ([sql] query_timeout_secs); narrow it (a date range, fewer columns) or ask for a \
         longer limit",
        limit.as_secs_f64()
    ))
}
