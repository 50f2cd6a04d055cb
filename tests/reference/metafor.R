# Reference values for tests/test_meta_reference.py, computed by R's metafor.
# Regenerate with:  Rscript tests/reference/metafor.R > tests/reference/metafor.json
# (Debian: apt-get install r-cran-metafor r-cran-jsonlite). The values printed in metafor's own test
# suite and on metafor-project.org agree with these; the tests pin those published figures as well.
suppressMessages({library(metafor); library(jsonlite)})

fits <- function(dat) {
  out <- list()
  for (m in c("REML", "DL", "PM", "EE")) for (t in c("z", "knha")) {
    if (m == "EE" && t == "knha") next
    r <- rma(yi, vi, data = dat, method = m, test = t)
    p <- predict(r)
    out[[paste(m, t, sep = "_")]] <- list(
      estimate = c(r$beta), se = r$se, ci_lower = r$ci.lb, ci_upper = r$ci.ub, pval = r$pval,
      tau2 = r$tau2, i2 = r$I2, q = r$QE, q_pval = r$QEp, k = r$k,
      pi_lower = if (m == "EE") NA else p$pi.lb, pi_upper = if (m == "EE") NA else p$pi.ub)
  }
  out
}
case <- function(dat, input) list(input = input, yi = dat$yi, vi = dat$vi, fits = fits(dat))

bcg <- dat.bcg
rr <- escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = bcg)
or <- escalc(measure = "OR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = bcg)
counts <- list(k2_events = bcg$tpos, n_k2 = bcg$tpos + bcg$tneg,
               comparator_events = bcg$cpos, n_comparator = bcg$cpos + bcg$cneg)

nd <- dat.normand1999
means <- list(k2_mean = nd$m1i, k2_sd = nd$sd1i, n_k2 = nd$n1i,
              comparator_mean = nd$m2i, comparator_sd = nd$sd2i, n_comparator = nd$n2i)
md <- escalc(measure = "MD", m1i = m1i, sd1i = sd1i, n1i = n1i, m2i = m2i, sd2i = sd2i, n2i = n2i, data = nd)
smd <- escalc(measure = "SMD", m1i = m1i, sd1i = sd1i, n1i = n1i, m2i = m2i, sd2i = sd2i, n2i = n2i, data = nd)

hine <- dat.hine1989
rd <- escalc(measure = "RD", ai = ai, n1i = n1i, ci = ci, n2i = n2i, data = hine)
hine_counts <- list(k2_events = hine$ai, n_k2 = hine$n1i, comparator_events = hine$ci, n_comparator = hine$n2i)

# zero cells: metafor adds 1/2 to every cell of a study with a zero cell, and only there
zero <- data.frame(ai = c(0, 3, 5, 0), n1i = c(20, 25, 30, 15), ci = c(4, 6, 5, 0), n2i = c(22, 24, 31, 16))
zero_counts <- list(k2_events = zero$ai, n_k2 = zero$n1i, comparator_events = zero$ci, n_comparator = zero$n2i)
zrr <- escalc(measure = "RR", ai = ai, n1i = n1i, ci = ci, n2i = n2i, data = zero)
zor <- escalc(measure = "OR", ai = ai, n1i = n1i, ci = ci, n2i = n2i, data = zero)
zrd <- escalc(measure = "RD", ai = ai, n1i = n1i, ci = ci, n2i = n2i, data = zero)

# homogeneous effects (Q < k - 1): every tau^2 estimator must give 0
homog <- data.frame(yi = c(0.10, 0.12, 0.11, 0.09, 0.105), vi = c(0.04, 0.05, 0.03, 0.06, 0.045))

cat(toJSON(list(
  metafor = as.character(packageVersion("metafor")),
  bcg_rr = case(rr, counts), bcg_or = case(or, counts),
  normand_md = case(md, means), normand_smd = case(smd, means),
  hine_rd = case(rd, hine_counts),
  zero_rr = list(input = zero_counts, yi = zrr$yi, vi = zrr$vi),
  zero_or = list(input = zero_counts, yi = zor$yi, vi = zor$vi),
  zero_rd = list(input = zero_counts, yi = zrd$yi, vi = zrd$vi),
  homogeneous = case(homog, list())
), digits = NA, auto_unbox = TRUE, na = "null", pretty = TRUE))
