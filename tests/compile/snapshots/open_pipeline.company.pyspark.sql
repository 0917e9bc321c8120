WITH `t9` AS (
  SELECT
    `t3`.`opportunity_id`,
    `t3`.`customer_id`,
    `t3`.`owner_rep_id`,
    `t3`.`product`,
    `t3`.`channel`,
    `t3`.`created_at`,
    `t3`.`stage`,
    `t3`.`status`,
    `t3`.`amount`,
    `t3`.`currency`,
    `t3`.`expected_close_date`,
    `t3`.`closed_at`,
    `t3`.`lost_reason`,
    CASE
      WHEN `t3`.`created_at` < CAST('2025-03-30T01:00:00' AS TIMESTAMP)
      THEN CAST(`t3`.`created_at` + INTERVAL '3600' SECOND AS DATE)
      ELSE CAST(`t3`.`created_at` + INTERVAL '7200' SECOND AS DATE)
    END AS `__day`,
    COALESCE(
      CASE
        WHEN `t3`.`closed_at` < CAST('2025-03-30T01:00:00' AS TIMESTAMP)
        THEN CAST(`t3`.`closed_at` + INTERVAL '3600' SECOND AS DATE)
        ELSE CAST(`t3`.`closed_at` + INTERVAL '7200' SECOND AS DATE)
      END,
      MAKE_DATE(9999, 12, 31)
    ) AS `__until`
  FROM `opportunities` AS `t3`
  WHERE
    `t3`.`created_at` < CAST('2025-03-31T22:00:00' AS TIMESTAMP)
)
SELECT
  *
FROM (
  SELECT
    `t4`.`label` AS `period`,
    COALESCE(`t22`.`m__open_pipeline`, 0) AS `open_pipeline`
  FROM (
    SELECT
      'company' AS `__subject`,
      `t0`.`period` AS `__period`
    FROM `salescore_periods_3aad044200` AS `t0`
  ) AS `t8`
  LEFT OUTER JOIN (
    SELECT
      `t20`.`__subject`,
      `t20`.`__period`,
      MAX(`t20`.`m__open_pipeline`) AS `m__open_pipeline`
    FROM (
      SELECT
        `t19`.`__subject`,
        `t19`.`__period`,
        CAST(CASE
          WHEN `t19`.`m__open_pipeline__known` > 0
          THEN `t19`.`m__open_pipeline`
          ELSE NULL
        END AS DOUBLE) AS `m__open_pipeline`
      FROM (
        SELECT
          `t18`.`__subject`,
          `t18`.`period` AS `__period`,
          SUM(`t18`.`__rows`) AS `__rows`,
          SUM(`t18`.`m__open_pipeline`) AS `m__open_pipeline`,
          SUM(`t18`.`m__open_pipeline__known`) AS `m__open_pipeline__known`
        FROM (
          SELECT
            `t17`.`__subject`,
            `t17`.`__idx`,
            `t17`.`__rows`,
            `t17`.`m__open_pipeline`,
            `t17`.`m__open_pipeline__known`,
            `t5`.`period`,
            `t5`.`idx`
          FROM (
            SELECT
              `t15`.`__subject`,
              `t15`.`__idx`,
              SUM(`t15`.`__rows`) AS `__rows`,
              SUM(`t15`.`m__open_pipeline`) AS `m__open_pipeline`,
              SUM(`t15`.`m__open_pipeline__known`) AS `m__open_pipeline__known`
            FROM (
              SELECT
                `t14`.`__subject`,
                `t14`.`__rows`,
                `t14`.`m__open_pipeline`,
                `t14`.`m__open_pipeline__known`,
                COALESCE(`t6`.`idx`, 0) AS `__idx`
              FROM (
                SELECT
                  *
                FROM (
                  SELECT
                    'company' AS `__subject`,
                    `t10`.`__day` AS `__d`,
                    1 AS `__rows`,
                    CAST(`t10`.`amount` AS DECIMAL(38, 4)) AS `m__open_pipeline`,
                    CASE WHEN CAST(`t10`.`amount` AS DECIMAL(38, 4)) IS NOT NULL THEN 1 ELSE 0 END AS `m__open_pipeline__known`
                  FROM `t9` AS `t10`
                  WHERE
                    `t10`.`__day` <= MAKE_DATE(2025, 3, 31) AND `t10`.`__day` < `t10`.`__until`
                ) AS `t11`
                UNION ALL
                SELECT
                  *
                FROM (
                  SELECT
                    'company' AS `__subject`,
                    `t10`.`__until` AS `__d`,
                    -(
                      1
                    ) AS `__rows`,
                    -(
                      CAST(`t10`.`amount` AS DECIMAL(38, 4))
                    ) AS `m__open_pipeline`,
                    -(
                      CASE WHEN CAST(`t10`.`amount` AS DECIMAL(38, 4)) IS NOT NULL THEN 1 ELSE 0 END
                    ) AS `m__open_pipeline__known`
                  FROM `t9` AS `t10`
                  WHERE
                    `t10`.`__day` <= MAKE_DATE(2025, 3, 31)
                    AND `t10`.`__day` < `t10`.`__until`
                    AND `t10`.`__until` <= MAKE_DATE(2025, 3, 31)
                ) AS `t12`
              ) AS `t14`
              LEFT OUTER JOIN `salescore_snapshot_days_6b5f0dc87a` AS `t6`
                ON `t14`.`__d` = `t6`.`day`
            ) AS `t15`
            GROUP BY
              1,
              2
          ) AS `t17`
          INNER JOIN `salescore_snapshots_3350753058` AS `t5`
            ON `t17`.`__idx` <= `t5`.`idx`
        ) AS `t18`
        GROUP BY
          1,
          2
      ) AS `t19`
      WHERE
        `t19`.`__rows` > 0
    ) AS `t20`
    GROUP BY
      1,
      2
  ) AS `t22`
    ON `t8`.`__subject` = `t22`.`__subject` AND `t8`.`__period` = `t22`.`__period`
  INNER JOIN `salescore_periods_3aad044200` AS `t4`
    ON `t8`.`__period` = `t4`.`period`
) AS `t23`
ORDER BY
  `t23`.`period` ASC NULLS LAST
