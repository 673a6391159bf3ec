//! What both benchmarks report about the machine: peak memory, threads, and the matmul peak
//! every speed is held against.

use std::time::Instant;

use soo_core::Result;
use soo_core::burn::tensor::{Device, Distribution, Tensor};

/// The process's resident-memory high-water mark (`VmHWM` in `/proc/self/status`), in MiB;
/// `None` where there is no such file (not Linux).
pub fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// The threads the CPU backend uses: rayon's global pool, which burn-flex's matmuls and
/// reductions run on (all cores unless `--threads` set it).
pub fn threads() -> usize {
    rayon::current_num_threads()
}

/// Sets the CPU backend's thread count (before anything runs on it).
pub fn set_threads(n: usize) -> Result<()> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(n)
        .build_global()
        .map_err(|e| soo_core::Error::Unsupported(format!("--threads {n}: {e}")))
}

/// The machine's fp32 matmul peak on `device`, in GFLOP/s: the best of 5 products of two
/// 1024×1024 matrices through burn (the kernels every model matmul uses), after one warm-up.
/// On the CPU backend this is gemm on all of `threads()` cores.
pub fn matmul_peak_gflops(device: &Device) -> f64 {
    const N: usize = 1024;
    let a = Tensor::<2>::random([N, N], Distribution::Default, device);
    let b = Tensor::<2>::random([N, N], Distribution::Default, device);
    let mut best = f64::INFINITY;
    for round in 0..6 {
        let started = Instant::now();
        let c = a.clone().matmul(b.clone());
        // Reading one value back waits for the product (and for a GPU's queue).
        let _ = c.slice([0..1, 0..1]).into_data();
        if round > 0 {
            best = best.min(started.elapsed().as_secs_f64());
        }
    }
    2.0 * (N * N * N) as f64 / best / 1e9
}
