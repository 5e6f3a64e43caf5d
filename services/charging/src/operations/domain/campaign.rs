//! A campaign's life: its stages, what an operator may do in which state, and when it
//! opens its next stage or completes by itself.
//!
//! ```text
//!  running ──pause──► paused ──resume──► running
//!     │  ▲ advance (either state, while a later stage exists)
//!     │  └── auto-advance: the open stage is finished with ≥ auto_advance_pct % succeeded
//!     ├── last stage open and every device finished ──► completed
//!     └──abort (running or paused)──► aborted  (pending devices → aborted;
//!                                               in-flight transfers finish)
//! ```

use super::FieldError;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    Running,
    Paused,
    Completed,
    Aborted,
}

impl State {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "running" => Self::Running,
            "paused" => Self::Paused,
            "completed" => Self::Completed,
            "aborted" => Self::Aborted,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Paused => "paused",
            Self::Completed => "completed",
            Self::Aborted => "aborted",
        }
    }
}

/// Most stages a rollout has.
pub const MAX_STAGES: usize = 10;

/// Cumulative percentages: 1–100, strictly ascending, ending at 100.
pub fn stages(field: &str, pcts: &[i64]) -> Result<Vec<i16>, FieldError> {
    if pcts.is_empty() || pcts.len() > MAX_STAGES {
        return Err(FieldError::new(
            field,
            format!("1 to {MAX_STAGES} cumulative percentages, e.g. [10, 50, 100]"),
        ));
    }
    let mut prev = 0;
    for (i, p) in pcts.iter().enumerate() {
        if !(1..=100).contains(p) {
            return Err(FieldError::new(
                &format!("{field}[{i}]"),
                format!("{p} is not a percentage 1..=100"),
            ));
        }
        if *p <= prev {
            return Err(FieldError::new(
                &format!("{field}[{i}]"),
                "percentages are cumulative: each larger than the one before",
            ));
        }
        prev = *p;
    }
    if prev != 100 {
        return Err(FieldError::new(
            field,
            "the last stage must be 100 (every target)",
        ));
    }
    Ok(pcts.iter().map(|p| *p as i16).collect())
}

/// The stage of each of `n` ranked devices: stage k holds ranks below
/// ceil(stages[k] × n / 100) not taken by an earlier stage.
pub fn assign(n: usize, stages: &[i16]) -> Vec<i16> {
    let cutoffs: Vec<usize> = stages
        .iter()
        .map(|p| (usize::try_from(*p).unwrap_or(100) * n).div_ceil(100))
        .collect();
    (0..n)
        .map(|rank| {
            cutoffs
                .iter()
                .position(|c| rank < *c)
                .unwrap_or(cutoffs.len().saturating_sub(1)) as i16
        })
        .collect()
}

/// What an operator asks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Advance,
    Pause,
    Resume,
    Abort,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Advance => "campaign_advance",
            Self::Pause => "campaign_pause",
            Self::Resume => "campaign_resume",
            Self::Abort => "campaign_abort",
        }
    }
}

/// The campaign after `action`: (state, open stage), or why not.
pub fn apply(
    state: State,
    stage: i16,
    stage_count: usize,
    action: Action,
) -> Result<(State, i16), String> {
    let last = stage_count.saturating_sub(1) as i16;
    match (action, state) {
        (Action::Advance, State::Running | State::Paused) if stage < last => Ok((state, stage + 1)),
        (Action::Advance, State::Running | State::Paused) => {
            Err("the last stage is already open".into())
        }
        (Action::Pause, State::Running) => Ok((State::Paused, stage)),
        (Action::Resume, State::Paused) => Ok((State::Running, stage)),
        (Action::Abort, State::Running | State::Paused) => Ok((State::Aborted, stage)),
        (a, s) => Err(format!(
            "cannot {} a {} campaign",
            a.as_str().trim_start_matches("campaign_"),
            s.as_str()
        )),
    }
}

/// Devices by rollout state (of some stages).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub pending: i64,
    pub sending: i64,
    pub succeeded: i64,
    pub failed: i64,
    pub aborted: i64,
}

impl Counts {
    pub fn total(&self) -> i64 {
        self.pending + self.sending + self.succeeded + self.failed + self.aborted
    }

    pub fn unfinished(&self) -> i64 {
        self.pending + self.sending
    }

    pub fn add(&mut self, state: &str, n: i64) {
        match state {
            "pending" => self.pending += n,
            "sending" => self.sending += n,
            "succeeded" => self.succeeded += n,
            "failed" => self.failed += n,
            _ => self.aborted += n,
        }
    }
}

/// What the runner does by itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    Advance,
    Complete,
}

/// The runner's decision for a running campaign whose open stage is `stage`; `open`
/// counts the devices of stages ≤ `stage` (the last stage's count is every device).
pub fn next(
    state: State,
    stage: i16,
    stage_count: usize,
    auto_advance_pct: Option<i16>,
    open: &Counts,
) -> Option<Step> {
    if state != State::Running || open.unfinished() > 0 {
        return None;
    }
    if usize::try_from(stage).unwrap_or(0) + 1 >= stage_count {
        return Some(Step::Complete);
    }
    let pct = i64::from(auto_advance_pct?);
    (open.succeeded * 100 >= pct * open.total()).then_some(Step::Advance)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stages_are_cumulative_and_end_at_100() {
        assert_eq!(stages("stages", &[10, 50, 100]).unwrap(), [10, 50, 100]);
        assert_eq!(stages("stages", &[100]).unwrap(), [100]);
        assert_eq!(stages("stages", &[]).unwrap_err().field, "stages");
        assert_eq!(
            stages("stages", &[50, 50, 100]).unwrap_err().field,
            "stages[1]"
        );
        assert_eq!(stages("stages", &[0, 100]).unwrap_err().field, "stages[0]");
        assert_eq!(stages("stages", &[10, 150]).unwrap_err().field, "stages[1]");
        assert_eq!(stages("stages", &[10, 50]).unwrap_err().field, "stages");
    }

    #[test]
    fn ranks_fill_stages_by_rounded_up_shares() {
        assert_eq!(assign(4, &[50, 100]), [0, 0, 1, 1]);
        assert_eq!(assign(4, &[10, 50, 100]), [0, 1, 2, 2]);
        assert_eq!(assign(3, &[50, 100]), [0, 0, 1]);
        assert_eq!(assign(1, &[10, 100]), [0]);
        assert_eq!(assign(0, &[100]), Vec::<i16>::new());
    }

    #[test]
    fn operators_move_the_campaign_in_allowed_states_only() {
        use Action::*;
        use State::*;
        assert_eq!(apply(Running, 0, 2, Advance), Ok((Running, 1)));
        assert_eq!(apply(Paused, 0, 2, Advance), Ok((Paused, 1)));
        assert!(apply(Running, 1, 2, Advance).is_err());
        assert_eq!(apply(Running, 0, 2, Pause), Ok((Paused, 0)));
        assert!(apply(Paused, 0, 2, Pause).is_err());
        assert_eq!(apply(Paused, 0, 2, Resume), Ok((Running, 0)));
        assert_eq!(apply(Paused, 1, 2, Abort), Ok((Aborted, 1)));
        let e = apply(Completed, 1, 2, Abort).unwrap_err();
        assert_eq!(e, "cannot abort a completed campaign");
        assert!(apply(Aborted, 0, 2, Resume).is_err());
    }

    #[test]
    fn the_runner_advances_on_the_threshold_and_completes_at_the_end() {
        let c = |pending, sending, succeeded, failed| Counts {
            pending,
            sending,
            succeeded,
            failed,
            aborted: 0,
        };
        use State::*;
        // Still working, paused, or manual: nothing.
        assert_eq!(next(Running, 0, 2, Some(90), &c(0, 1, 1, 0)), None);
        assert_eq!(next(Paused, 0, 2, Some(90), &c(0, 0, 2, 0)), None);
        assert_eq!(next(Running, 0, 2, None, &c(0, 0, 2, 0)), None);
        // 9 of 10 meets 90 %, 8 of 10 does not.
        assert_eq!(
            next(Running, 0, 2, Some(90), &c(0, 0, 9, 1)),
            Some(Step::Advance)
        );
        assert_eq!(next(Running, 0, 2, Some(90), &c(0, 0, 8, 2)), None);
        // An empty stage passes.
        assert_eq!(
            next(Running, 0, 3, Some(100), &c(0, 0, 0, 0)),
            Some(Step::Advance)
        );
        // The last stage finished, failures or not.
        assert_eq!(
            next(Running, 1, 2, None, &c(0, 0, 3, 1)),
            Some(Step::Complete)
        );
    }
}
