SELECT
  *
FROM (
  SELECT
    `t2`.`label` AS `period`,
    COALESCE(`t13`.`m__open_pipeline`, 0) AS `open_pipeline`
  FROM (
    SELECT
      'company' AS `__subject`,
      `t0`.`period` AS `__period`
    FROM `salescore_periods_3aad044200` AS `t0`
  ) AS `t5`
  LEFT OUTER JOIN (
    SELECT
      `t11`.`__subject`,
      `t11`.`__period`,
      MAX(`t11`.`m__open_pipeline`) AS `m__open_pipeline`
    FROM (
      SELECT
        `t10`.`__subject`,
        `t10`.`__period`,
        CAST(`t10`.`m__open_pipeline` AS DOUBLE) AS `m__open_pipeline`
      FROM (
        SELECT
          `t9`.`__subject`,
          `t9`.`__period`,
          SUM(CAST(`t9`.`amount` AS DECIMAL(38, 4))) AS `m__open_pipeline`
        FROM (
          SELECT
            `t8`.`opportunity_id`,
            `t8`.`customer_id`,
            `t8`.`owner_rep_id`,
            `t8`.`product`,
            `t8`.`channel`,
            `t8`.`created_at`,
            `t8`.`stage`,
            `t8`.`status`,
            `t8`.`amount`,
            `t8`.`currency`,
            `t8`.`expected_close_date`,
            `t8`.`closed_at`,
            `t8`.`lost_reason`,
            `t8`.`__day`,
            `t8`.`__until`,
            `t8`.`__period`,
            'company' AS `__subject`
          FROM (
            SELECT
              `t7`.`opportunity_id`,
              `t7`.`customer_id`,
              `t7`.`owner_rep_id`,
              `t7`.`product`,
              `t7`.`channel`,
              `t7`.`created_at`,
              `t7`.`stage`,
              `t7`.`status`,
              `t7`.`amount`,
              `t7`.`currency`,
              `t7`.`expected_close_date`,
              `t7`.`closed_at`,
              `t7`.`lost_reason`,
              `t7`.`__day`,
              `t7`.`__until`,
              `t3`.`period` AS `__period`
            FROM (
              SELECT
                `t1`.`opportunity_id`,
                `t1`.`customer_id`,
                `t1`.`owner_rep_id`,
                `t1`.`product`,
                `t1`.`channel`,
                `t1`.`created_at`,
                `t1`.`stage`,
                `t1`.`status`,
                `t1`.`amount`,
                `t1`.`currency`,
                `t1`.`expected_close_date`,
                `t1`.`closed_at`,
                `t1`.`lost_reason`,
                CASE
                  WHEN `t1`.`created_at` >= CAST('2025-03-30T01:00:00' AS TIMESTAMP)
                  THEN CAST(`t1`.`created_at` + INTERVAL '7200' SECOND AS DATE)
                  ELSE CAST(`t1`.`created_at` + INTERVAL '3600' SECOND AS DATE)
                END AS `__day`,
                COALESCE(
                  CASE
                    WHEN `t1`.`closed_at` >= CAST('2025-03-30T01:00:00' AS TIMESTAMP)
                    THEN CAST(`t1`.`closed_at` + INTERVAL '7200' SECOND AS DATE)
                    ELSE CAST(`t1`.`closed_at` + INTERVAL '3600' SECOND AS DATE)
                  END,
                  MAKE_DATE(9999, 12, 31)
                ) AS `__until`
              FROM `opportunities` AS `t1`
              WHERE
                `t1`.`created_at` < CAST('2025-03-31T22:00:00' AS TIMESTAMP)
            ) AS `t7`
            INNER JOIN `salescore_periods_3aad044200` AS `t3`
              ON `t7`.`__day` <= `t3`.`end_day` AND `t7`.`__until` > `t3`.`end_day`
          ) AS `t8`
        ) AS `t9`
        GROUP BY
          1,
          2
      ) AS `t10`
    ) AS `t11`
    GROUP BY
      1,
      2
  ) AS `t13`
    ON `t5`.`__subject` = `t13`.`__subject` AND `t5`.`__period` = `t13`.`__period`
  INNER JOIN `salescore_periods_3aad044200` AS `t2`
    ON `t5`.`__period` = `t2`.`period`
) AS `t14`
ORDER BY
  `t14`.`period` ASC NULLS LAST
