SELECT
  *
FROM (
  SELECT
    `t11`.`__subject` AS `rep_id`,
    `t5`.`label` AS `period`,
    CAST(COALESCE(`t26`.`c__stage_conversion__s0__num`, 0) AS DOUBLE) / NULLIF(CAST(COALESCE(`t26`.`c__stage_conversion__s0__den`, 0) AS DOUBLE), 0) AS `stage_conversion[lead]`,
    CAST(COALESCE(`t26`.`c__stage_conversion__s1__num`, 0) AS DOUBLE) / NULLIF(CAST(COALESCE(`t26`.`c__stage_conversion__s1__den`, 0) AS DOUBLE), 0) AS `stage_conversion[qualified]`,
    CAST(COALESCE(`t26`.`c__stage_conversion__s2__num`, 0) AS DOUBLE) / NULLIF(CAST(COALESCE(`t26`.`c__stage_conversion__s2__den`, 0) AS DOUBLE), 0) AS `stage_conversion[discovery]`,
    CAST(COALESCE(`t26`.`c__stage_conversion__s3__num`, 0) AS DOUBLE) / NULLIF(CAST(COALESCE(`t26`.`c__stage_conversion__s3__den`, 0) AS DOUBLE), 0) AS `stage_conversion[proposal]`,
    CAST(COALESCE(`t26`.`c__stage_conversion__s4__num`, 0) AS DOUBLE) / NULLIF(CAST(COALESCE(`t26`.`c__stage_conversion__s4__den`, 0) AS DOUBLE), 0) AS `stage_conversion[negotiation]`
  FROM (
    SELECT
      `t0`.`rep_id` AS `__subject`
    FROM `reps` AS `t0`
  ) AS `t11`
  CROSS JOIN (
    SELECT
      `t1`.`period` AS `__period`
    FROM `salescore_periods_3aad044200` AS `t1`
  ) AS `t12`
  LEFT OUTER JOIN (
    SELECT
      `t24`.`__subject`,
      `t24`.`__period`,
      MAX(`t24`.`c__stage_conversion__s0__num`) AS `c__stage_conversion__s0__num`,
      MAX(`t24`.`c__stage_conversion__s0__den`) AS `c__stage_conversion__s0__den`,
      MAX(`t24`.`c__stage_conversion__s1__num`) AS `c__stage_conversion__s1__num`,
      MAX(`t24`.`c__stage_conversion__s1__den`) AS `c__stage_conversion__s1__den`,
      MAX(`t24`.`c__stage_conversion__s2__num`) AS `c__stage_conversion__s2__num`,
      MAX(`t24`.`c__stage_conversion__s2__den`) AS `c__stage_conversion__s2__den`,
      MAX(`t24`.`c__stage_conversion__s3__num`) AS `c__stage_conversion__s3__num`,
      MAX(`t24`.`c__stage_conversion__s3__den`) AS `c__stage_conversion__s3__den`,
      MAX(`t24`.`c__stage_conversion__s4__num`) AS `c__stage_conversion__s4__num`,
      MAX(`t24`.`c__stage_conversion__s4__den`) AS `c__stage_conversion__s4__den`
    FROM (
      SELECT
        `t23`.`__subject`,
        `t23`.`__period`,
        `t23`.`c__stage_conversion__s0__num`,
        `t23`.`c__stage_conversion__s0__den`,
        `t23`.`c__stage_conversion__s1__num`,
        `t23`.`c__stage_conversion__s1__den`,
        `t23`.`c__stage_conversion__s2__num`,
        `t23`.`c__stage_conversion__s2__den`,
        `t23`.`c__stage_conversion__s3__num`,
        `t23`.`c__stage_conversion__s3__den`,
        `t23`.`c__stage_conversion__s4__num`,
        `t23`.`c__stage_conversion__s4__den`
      FROM (
        SELECT
          `t22`.`__subject`,
          `t22`.`__period`,
          SUM(`t22`.`c__stage_conversion__s0__den`) AS `c__stage_conversion__s0__den`,
          SUM(`t22`.`c__stage_conversion__s0__num`) AS `c__stage_conversion__s0__num`,
          SUM(`t22`.`c__stage_conversion__s1__den`) AS `c__stage_conversion__s1__den`,
          SUM(`t22`.`c__stage_conversion__s1__num`) AS `c__stage_conversion__s1__num`,
          SUM(`t22`.`c__stage_conversion__s2__den`) AS `c__stage_conversion__s2__den`,
          SUM(`t22`.`c__stage_conversion__s2__num`) AS `c__stage_conversion__s2__num`,
          SUM(`t22`.`c__stage_conversion__s3__den`) AS `c__stage_conversion__s3__den`,
          SUM(`t22`.`c__stage_conversion__s3__num`) AS `c__stage_conversion__s3__num`,
          SUM(`t22`.`c__stage_conversion__s4__den`) AS `c__stage_conversion__s4__den`,
          SUM(`t22`.`c__stage_conversion__s4__num`) AS `c__stage_conversion__s4__num`
        FROM (
          SELECT
            `t21`.`__subject`,
            `t21`.`__period`,
            `t21`.`opportunity_id` AS `__item`,
            MAX(CASE WHEN `t21`.`stage` = 'lead' THEN 1 ELSE 0 END) AS `c__stage_conversion__s0__den`,
            MAX(
              CASE
                WHEN (
                  `t21`.`stage` = 'lead'
                ) AND (
                  `t21`.`c__stage_conversion__s0__flag` = 1
                )
                THEN 1
                ELSE 0
              END
            ) AS `c__stage_conversion__s0__num`,
            MAX(CASE WHEN `t21`.`stage` = 'qualified' THEN 1 ELSE 0 END) AS `c__stage_conversion__s1__den`,
            MAX(
              CASE
                WHEN (
                  `t21`.`stage` = 'qualified'
                )
                AND (
                  `t21`.`c__stage_conversion__s1__flag` = 1
                )
                THEN 1
                ELSE 0
              END
            ) AS `c__stage_conversion__s1__num`,
            MAX(CASE WHEN `t21`.`stage` = 'discovery' THEN 1 ELSE 0 END) AS `c__stage_conversion__s2__den`,
            MAX(
              CASE
                WHEN (
                  `t21`.`stage` = 'discovery'
                )
                AND (
                  `t21`.`c__stage_conversion__s2__flag` = 1
                )
                THEN 1
                ELSE 0
              END
            ) AS `c__stage_conversion__s2__num`,
            MAX(CASE WHEN `t21`.`stage` = 'proposal' THEN 1 ELSE 0 END) AS `c__stage_conversion__s3__den`,
            MAX(
              CASE
                WHEN (
                  `t21`.`stage` = 'proposal'
                )
                AND (
                  `t21`.`c__stage_conversion__s3__flag` = 1
                )
                THEN 1
                ELSE 0
              END
            ) AS `c__stage_conversion__s3__num`,
            MAX(CASE WHEN `t21`.`stage` = 'negotiation' THEN 1 ELSE 0 END) AS `c__stage_conversion__s4__den`,
            MAX(
              CASE
                WHEN (
                  `t21`.`stage` = 'negotiation'
                )
                AND (
                  `t21`.`c__stage_conversion__s4__flag` = 1
                )
                THEN 1
                ELSE 0
              END
            ) AS `c__stage_conversion__s4__num`
          FROM (
            SELECT
              `t20`.`opportunity_id`,
              `t20`.`stage`,
              `t20`.`entered_at`,
              `t20`.`p__opportunity_id__owner_rep_id`,
              `t20`.`c__stage_conversion__s0__flag`,
              `t20`.`c__stage_conversion__s1__flag`,
              `t20`.`c__stage_conversion__s2__flag`,
              `t20`.`c__stage_conversion__s3__flag`,
              `t20`.`c__stage_conversion__s4__flag`,
              `t20`.`__day`,
              `t20`.`__period`,
              `t20`.`p__opportunity_id__owner_rep_id` AS `__subject`
            FROM (
              SELECT
                `t19`.`opportunity_id`,
                `t19`.`stage`,
                `t19`.`entered_at`,
                `t19`.`p__opportunity_id__owner_rep_id`,
                `t19`.`c__stage_conversion__s0__flag`,
                `t19`.`c__stage_conversion__s1__flag`,
                `t19`.`c__stage_conversion__s2__flag`,
                `t19`.`c__stage_conversion__s3__flag`,
                `t19`.`c__stage_conversion__s4__flag`,
                `t19`.`__day`,
                `t6`.`period` AS `__period`
              FROM (
                SELECT
                  `t17`.`opportunity_id`,
                  `t17`.`stage`,
                  `t17`.`entered_at`,
                  `t17`.`p__opportunity_id__owner_rep_id`,
                  `t17`.`c__stage_conversion__s0__flag`,
                  `t17`.`c__stage_conversion__s1__flag`,
                  `t17`.`c__stage_conversion__s2__flag`,
                  `t17`.`c__stage_conversion__s3__flag`,
                  `t17`.`c__stage_conversion__s4__flag`,
                  CASE
                    WHEN `t17`.`entered_at` >= CAST('2025-03-30T01:00:00' AS TIMESTAMP)
                    THEN CAST(`t17`.`entered_at` + INTERVAL '7200' SECOND AS DATE)
                    ELSE CAST(`t17`.`entered_at` + INTERVAL '3600' SECOND AS DATE)
                  END AS `__day`
                FROM (
                  SELECT
                    `t7`.`opportunity_id`,
                    `t7`.`stage`,
                    `t7`.`entered_at`,
                    `t13`.`p__opportunity_id__owner_rep_id`,
                    `t16`.`c__stage_conversion__s0__flag`,
                    `t16`.`c__stage_conversion__s1__flag`,
                    `t16`.`c__stage_conversion__s2__flag`,
                    `t16`.`c__stage_conversion__s3__flag`,
                    `t16`.`c__stage_conversion__s4__flag`
                  FROM `stage_changes` AS `t7`
                  LEFT OUTER JOIN (
                    SELECT
                      `t4`.`opportunity_id` AS `__k`,
                      `t4`.`owner_rep_id` AS `p__opportunity_id__owner_rep_id`
                    FROM `opportunities` AS `t4`
                  ) AS `t13`
                    ON `t7`.`opportunity_id` = `t13`.`__k`
                  LEFT OUTER JOIN (
                    SELECT
                      `t14`.`opportunity_id` AS `__item`,
                      MAX(
                        CASE
                          WHEN `t14`.`stage` IN ('qualified', 'discovery', 'proposal', 'negotiation', 'won')
                          THEN 1
                          ELSE 0
                        END
                      ) AS `c__stage_conversion__s0__flag`,
                      MAX(
                        CASE
                          WHEN `t14`.`stage` IN ('discovery', 'proposal', 'negotiation', 'won')
                          THEN 1
                          ELSE 0
                        END
                      ) AS `c__stage_conversion__s1__flag`,
                      MAX(CASE WHEN `t14`.`stage` IN ('proposal', 'negotiation', 'won') THEN 1 ELSE 0 END) AS `c__stage_conversion__s2__flag`,
                      MAX(CASE WHEN `t14`.`stage` IN ('negotiation', 'won') THEN 1 ELSE 0 END) AS `c__stage_conversion__s3__flag`,
                      MAX(CASE WHEN `t14`.`stage` IN ('won') THEN 1 ELSE 0 END) AS `c__stage_conversion__s4__flag`
                    FROM (
                      SELECT
                        `t7`.`opportunity_id`,
                        `t7`.`stage`,
                        `t7`.`entered_at`,
                        `t13`.`p__opportunity_id__owner_rep_id`
                      FROM `stage_changes` AS `t7`
                      LEFT OUTER JOIN (
                        SELECT
                          `t4`.`opportunity_id` AS `__k`,
                          `t4`.`owner_rep_id` AS `p__opportunity_id__owner_rep_id`
                        FROM `opportunities` AS `t4`
                      ) AS `t13`
                        ON `t7`.`opportunity_id` = `t13`.`__k`
                    ) AS `t14`
                    GROUP BY
                      1
                  ) AS `t16`
                    ON `t7`.`opportunity_id` = `t16`.`__item`
                ) AS `t17`
                WHERE
                  `t17`.`entered_at` >= CAST('2024-12-31T23:00:00' AS TIMESTAMP)
                  AND `t17`.`entered_at` < CAST('2025-03-31T22:00:00' AS TIMESTAMP)
              ) AS `t19`
              INNER JOIN `salescore_days_3007fae532` AS `t6`
                ON `t19`.`__day` = `t6`.`day`
            ) AS `t20`
          ) AS `t21`
          GROUP BY
            1,
            2,
            3
        ) AS `t22`
        GROUP BY
          1,
          2
      ) AS `t23`
    ) AS `t24`
    GROUP BY
      1,
      2
  ) AS `t26`
    ON `t11`.`__subject` = `t26`.`__subject` AND `t12`.`__period` = `t26`.`__period`
  INNER JOIN `salescore_periods_3aad044200` AS `t5`
    ON `t12`.`__period` = `t5`.`period`
) AS `t27`
ORDER BY
  `t27`.`rep_id` ASC NULLS LAST,
  `t27`.`period` ASC NULLS LAST
