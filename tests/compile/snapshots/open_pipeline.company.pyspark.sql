SELECT
  *
FROM (
  SELECT
    `t5`.`label` AS `period`,
    COALESCE(`t23`.`m__open_pipeline`, 0) AS `open_pipeline`
  FROM (
    SELECT
      'company' AS `__subject`,
      `t0`.`period` AS `__period`
    FROM `salescore_periods_3aad044200` AS `t0`
  ) AS `t10`
  LEFT OUTER JOIN (
    SELECT
      `t21`.`__subject` AS `__s0`,
      `t21`.`__period` AS `__p0`,
      CAST(CASE
        WHEN `t21`.`m__open_pipeline__known` > 0
        THEN `t21`.`m__open_pipeline`
        ELSE NULL
      END AS DOUBLE) AS `m__open_pipeline`
    FROM (
      SELECT
        `t20`.`__subject`,
        `t20`.`period` AS `__period`,
        SUM(`t20`.`__rows`) AS `__rows`,
        SUM(`t20`.`m__open_pipeline`) AS `m__open_pipeline`,
        SUM(`t20`.`m__open_pipeline__known`) AS `m__open_pipeline__known`
      FROM (
        SELECT
          `t19`.`__subject`,
          `t19`.`__idx`,
          `t19`.`__rows`,
          `t19`.`m__open_pipeline`,
          `t19`.`m__open_pipeline__known`,
          `t6`.`period`,
          `t6`.`idx`
        FROM (
          SELECT
            `t17`.`__subject`,
            `t17`.`__idx`,
            SUM(`t17`.`__rows`) AS `__rows`,
            SUM(`t17`.`m__open_pipeline`) AS `m__open_pipeline`,
            SUM(`t17`.`m__open_pipeline__known`) AS `m__open_pipeline__known`
          FROM (
            SELECT
              `t16`.`__subject`,
              `t16`.`__rows`,
              `t16`.`m__open_pipeline`,
              `t16`.`m__open_pipeline__known`,
              COALESCE(`t7`.`idx`, 0) AS `__idx`
            FROM (
              SELECT
                `t14`.`__subject`,
                CASE WHEN `t14`.`__opens` THEN `t14`.`__open` ELSE `t14`.`__close` END AS `__d`,
                CASE WHEN `t14`.`__opens` THEN `t14`.`__rows` ELSE -(
                  `t14`.`__rows`
                ) END AS `__rows`,
                CASE
                  WHEN `t14`.`__opens`
                  THEN `t14`.`m__open_pipeline`
                  ELSE -(
                    `t14`.`m__open_pipeline`
                  )
                END AS `m__open_pipeline`,
                CASE
                  WHEN `t14`.`__opens`
                  THEN `t14`.`m__open_pipeline__known`
                  ELSE -(
                    `t14`.`m__open_pipeline__known`
                  )
                END AS `m__open_pipeline__known`
              FROM (
                SELECT
                  `t13`.`__subject`,
                  `t13`.`__open`,
                  `t13`.`__close`,
                  `t13`.`__rows`,
                  `t13`.`m__open_pipeline`,
                  `t13`.`m__open_pipeline__known`,
                  `t8`.`__opens`
                FROM (
                  SELECT
                    'company' AS `__subject`,
                    `t11`.`__day` AS `__open`,
                    `t11`.`__until` AS `__close`,
                    1 AS `__rows`,
                    CAST(`t11`.`amount` AS DECIMAL(38, 4)) AS `m__open_pipeline`,
                    CASE WHEN CAST(`t11`.`amount` AS DECIMAL(38, 4)) IS NOT NULL THEN 1 ELSE 0 END AS `m__open_pipeline__known`
                  FROM (
                    SELECT
                      `t4`.`opportunity_id`,
                      `t4`.`customer_id`,
                      `t4`.`owner_rep_id`,
                      `t4`.`product`,
                      `t4`.`channel`,
                      `t4`.`created_at`,
                      `t4`.`stage`,
                      `t4`.`status`,
                      `t4`.`amount`,
                      `t4`.`currency`,
                      `t4`.`expected_close_date`,
                      `t4`.`closed_at`,
                      `t4`.`lost_reason`,
                      CASE
                        WHEN `t4`.`created_at` >= CAST('2025-03-30T01:00:00' AS TIMESTAMP)
                        THEN CAST(`t4`.`created_at` + INTERVAL '7200' SECOND AS DATE)
                        ELSE CAST(`t4`.`created_at` + INTERVAL '3600' SECOND AS DATE)
                      END AS `__day`,
                      COALESCE(
                        CASE
                          WHEN `t4`.`closed_at` >= CAST('2025-03-30T01:00:00' AS TIMESTAMP)
                          THEN CAST(`t4`.`closed_at` + INTERVAL '7200' SECOND AS DATE)
                          ELSE CAST(`t4`.`closed_at` + INTERVAL '3600' SECOND AS DATE)
                        END,
                        MAKE_DATE(9999, 12, 31)
                      ) AS `__until`
                    FROM `opportunities` AS `t4`
                    WHERE
                      `t4`.`created_at` < CAST('2025-03-31T22:00:00' AS TIMESTAMP)
                  ) AS `t11`
                  WHERE
                    `t11`.`__day` <= MAKE_DATE(2025, 3, 31) AND `t11`.`__day` < `t11`.`__until`
                ) AS `t13`
                CROSS JOIN `salescore_signs_c8cd1f8479` AS `t8`
              ) AS `t14`
              WHERE
                `t14`.`__opens` OR (
                  `t14`.`__close` <= MAKE_DATE(2025, 3, 31)
                )
            ) AS `t16`
            LEFT OUTER JOIN `salescore_snapshot_days_6b5f0dc87a` AS `t7`
              ON `t16`.`__d` = `t7`.`day`
          ) AS `t17`
          GROUP BY
            1,
            2
        ) AS `t19`
        INNER JOIN `salescore_snapshots_3350753058` AS `t6`
          ON `t19`.`__idx` <= `t6`.`idx`
      ) AS `t20`
      GROUP BY
        1,
        2
    ) AS `t21`
    WHERE
      `t21`.`__rows` > 0
  ) AS `t23`
    ON `t10`.`__subject` = `t23`.`__s0` AND `t10`.`__period` = `t23`.`__p0`
  INNER JOIN `salescore_periods_3aad044200` AS `t5`
    ON `t10`.`__period` = `t5`.`period`
) AS `t24`
ORDER BY
  `t24`.`period` ASC NULLS LAST
